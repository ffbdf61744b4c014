"""The knowledge base of ``explain``: real error signatures, as data.

Each :class:`Signature` matches on a *stable fragment* of a message (a regex
that survives wording drift between releases) and/or on traceback *frames*.
Exception classes drift too (the torch dispatcher's "Could not run" was a
RuntimeError before it became NotImplementedError), so ``exceptions`` lists
every class accepted. Named regex groups become facts (``{op}``, ``{cls}``)
that fill the ``fix`` template and feed the analysers in ``explain``.
``sources`` cite the public issues (or the framework source) each signature
was taken from.
"""

from __future__ import annotations

from dataclasses import dataclass

from compataudit import doctor as k

GH = "https://github.com/"
RUNTIME_OR_NIE = ("RuntimeError", "NotImplementedError")


@dataclass(frozen=True)
class Signature:
    id: str
    kind: str
    framework: str
    patterns: tuple[str, ...]  # regexes; any one matching is a hit
    summary: str
    fix: str  # a template: {name} is a named group of the matching pattern
    components: tuple[str, ...]
    sources: tuple[str, ...]
    confidence: float = 0.7
    exceptions: tuple[str, ...] = ()  # accepted classes on the matched line; () = any
    frames: tuple[str, ...] = ()  # regexes on `File "...", line N, in fn` lines
    needs_frame: bool = False  # the pattern alone is too generic
    analyzer: str | None = None  # a fact reader in explain.py


_MODULE_PY = r"torch[/\\]nn[/\\]modules[/\\]module\.py"

SIGNATURES: tuple[Signature, ...] = (
    # ------------------------------------------------------------------ torch: code
    Signature(
        "T1",
        k.MISSING_FORWARD,
        "torch",
        (r"Module \[(?P<cls>[\w.]+)\] is missing the required \"forward\" function",),
        "nn.Module `{cls}` has no `forward` method (missing, misspelt, or indented into __init__).",
        "Define `def forward(self, ...)` in {cls}; run `compataudit lint` on your code to find it.",
        ("torch",),
        (GH + "pytorch/pytorch/issues/74303", GH + "iMED-Lab/ER-Net/issues/2"),
        0.9,
        ("NotImplementedError",),
        (_MODULE_PY + r" in _forward_unimplemented$",),
        analyzer="module_forward",
    ),
    Signature(
        "T1-bare",
        k.MISSING_FORWARD,
        "torch",
        (r"^NotImplementedError:?\s*$",),
        "An nn.Module without `forward` was called (older torch raises a bare NotImplementedError).",
        "Define `forward` in the module named in the frame above the torch frames; run "
        "`compataudit lint` on your code.",
        ("torch",),
        (GH + "pytorch/pytorch/issues/74303", GH + "pytorch/pytorch/issues/13810"),
        0.8,
        ("NotImplementedError",),
        (_MODULE_PY + r" in (_forward_unimplemented|forward)$",),
        needs_frame=True,
    ),
    Signature(
        "T2",
        k.MISSING_METHOD,
        "torch",
        (r"Subclasses of Dataset should implement __getitem__",),
        "A torch Dataset subclass has no `__getitem__` (often a typo such as `__getitem`).",
        "Define `__getitem__(self, index)` (and `__len__`) in your Dataset subclass.",
        ("torch",),
        (GH + "PacktPublishing/PyTorch-Deep-Learning-in-7-Days/issues/7", GH + "pytorch/pytorch/pull/100667"),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "T2-bare",
        k.MISSING_METHOD,
        "torch",
        (r"^NotImplementedError:?\s*$",),
        "A torch Dataset subclass has no `__getitem__` (older torch raises a bare error).",
        "Define `__getitem__(self, index)` (and `__len__`) in your Dataset subclass.",
        ("torch",),
        (GH + "PacktPublishing/PyTorch-Deep-Learning-in-7-Days/issues/7",),
        0.8,
        ("NotImplementedError",),
        (r"torch[/\\]utils[/\\]data[/\\]dataset\.py in __getitem__$",),
        needs_frame=True,
    ),
    Signature(
        "T3",
        k.MISSING_FORWARD,
        "torch",
        (r"You must implement the forward function for custom autograd\.Function",),
        "A custom torch.autograd.Function has no `forward`.",
        "Add `@staticmethod def forward(ctx, ...)` to the Function.",
        ("torch",),
        (GH + "pytorch/pytorch/pull/33142",),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "T4",
        k.MISSING_BACKWARD,
        "torch",
        (
            r"You must implement either the backward or vjp method for your custom "
            r"autograd\.Function",
            r"You must implement the backward function for custom autograd\.Function",
        ),
        "A custom torch.autograd.Function has no `backward` (missing, misspelt or not static) "
        "and gradients flow through it.",
        "Add `@staticmethod def backward(ctx, grad_output)` returning one gradient per input, "
        "or keep the op out of autograd (torch.no_grad / detach).",
        ("torch",),
        (
            GH + "kymatio/murenn/issues/9",
            GH + "NKI-AI/direct/issues/219",
            GH + "PaddlePaddle/PaddleSpatial/issues/306",
        ),
        0.9,
        ("NotImplementedError",),
    ),
    Signature(
        "T5",
        k.MISSING_METHOD,
        "torch",
        (
            r"You must implement the jvp function for custom autograd\.Function to use it with "
            r"forward mode AD",
        ),
        "Forward-mode AD (jvp, jacfwd) runs through a custom autograd.Function without `jvp`.",
        "Implement `@staticmethod def jvp(ctx, *grad_inputs)`, or use reverse mode.",
        ("torch",),
        (GH + "flatironinstitute/pytorch-finufft/issues/110",),
        0.85,
        ("NotImplementedError",),
    ),
    Signature(
        "T6",
        k.API_VERSION_MISMATCH,
        "torch",
        (
            r"it must override the setup_context staticmethod",
            r"setup_context is not implemented",
            r"To use autograd\.Function with vmap, you must either override the vmap staticmethod",
        ),
        "An autograd.Function in the old combined `forward(ctx, ...)` style is used under "
        "torch.func transforms (vmap, grad, jvp), which need the torch >= 2.0 style.",
        "Split the Function into `forward(*args)` + `setup_context(ctx, inputs, output)` and set "
        "`generate_vmap_rule = True`, or avoid torch.func over that op.",
        ("torch",),
        (
            GH + "state-spaces/mamba/issues/239",
            GH + "Dao-AILab/flash-attention/issues/2071",
            GH + "pytorch/pytorch/pull/89859",
        ),
        0.75,
        RUNTIME_OR_NIE,
    ),
    Signature(
        "T7",
        k.NON_STATIC_AUTOGRAD,
        "torch",
        (r"Legacy autograd function with non-static forward method is deprecated",),
        "An old-style autograd.Function (instance methods, called as `MyFn()(x)`) runs on "
        "torch >= 1.5, where that is an error.",
        "Make `forward`/`backward` @staticmethods taking `ctx` and call `MyFn.apply(x)`.",
        ("torch",),
        (
            GH + "NVIDIA/flownet2-pytorch/issues/230",
            GH + "locuslab/mpc.pytorch/issues/33",
            GH + "josipd/torch-two-sample/pull/6",
        ),
        0.9,
        ("RuntimeError",),
    ),
    Signature(
        "T18",
        k.MISSING_METHOD,
        "python",
        (
            r"Can't instantiate abstract class (?P<cls>\w+) with(?:out an implementation for)? "
            r"abstract methods? '?(?P<methods>[\w, ']+)",
        ),
        "`{cls}` leaves abstract method(s) {methods} unimplemented.",
        "Implement {methods} in {cls} (for a PyTorch Lightning module on an early-2020 release, "
        "implement `forward` or upgrade pytorch-lightning).",
        ("python",),
        (GH + "Lightning-AI/pytorch-lightning/issues/709", GH + "optuna/optuna/issues/1186"),
        0.8,
        ("TypeError",),
        analyzer="abstract_class",
    ),
    Signature(
        "T19",
        k.MISSING_SUPER_INIT,
        "torch",
        (r"cannot assign (?:module|parameters|buffer) before Module\.__init__\(\) call",),
        "An nn.Module's __init__ assigns a submodule or Parameter before (or without) calling "
        "`super().__init__()`.",
        "Call `super().__init__()` as the first statement of __init__ (not "
        "`super(nn.Module, self).__init__()`).",
        ("torch",),
        (
            GH + "Genentech/gReLU/issues/188",
            GH + "pyg-team/pytorch_geometric/issues/681",
            GH + "javiribera/locating-objects-without-bboxes/issues/50",
        ),
        0.9,
        ("AttributeError",),
    ),
    Signature(
        "T19-late",
        k.MISSING_SUPER_INIT,
        "torch",
        (
            r"object has no attribute '(?:_backward_hooks|_forward_hooks|_forward_pre_hooks|"
            r"_modules|_parameters|_buffers)'",
        ),
        "An nn.Module was used without `super().__init__()` having run.",
        "Call `super().__init__()` as the first statement of the module's __init__.",
        ("torch",),
        (GH + "lightly-ai/lightly/pull/963", GH + "bwconrad/flexivit/issues/1"),
        0.65,
        ("AttributeError",),
    ),
    # ------------------------------------------------------------------ torch: environment
    Signature(
        "T8",
        k.CPU_ONLY_BUILD,
        "torch",
        (r"Could not run '(?P<op>[\w:.]+)' with arguments from the '(?P<backend>\w+)' backend",),
        "The torch dispatcher has no kernel of `{op}` for the {backend} backend.",
        "See the diagnosis summary.",
        ("torch",),
        (
            GH + "enesmsahin/simple-lama-inpainting/issues/10",
            GH + "pytorch/pytorch/issues/119678",
            GH + "ultralytics/ultralytics/issues/1774",
            GH + "pytorch/vision/issues/3058",
            GH + "pytorch/pytorch/issues/34583",
        ),
        0.6,
        RUNTIME_OR_NIE,
        analyzer="dispatcher",
    ),
    Signature(
        "T8-old",
        k.QUANTIZATION_MISMATCH,
        "torch",
        (
            r"Didn't find kernel to dispatch to for operator '(?P<op>[\w:.]+)'\. Tried to look up "
            r"kernel for dispatch key '(?P<backend>\w+)'",
        ),
        "The torch dispatcher (torch 1.3) has no kernel of `{op}` for {backend}.",
        "See the diagnosis summary.",
        ("torch",),
        (GH + "pytorch/pytorch/issues/28483",),
        0.6,
        RUNTIME_OR_NIE,
        analyzer="dispatcher",
    ),
    Signature(
        "T8d",
        k.META_DEVICE_WEIGHTS,
        "torch",
        (r"Cannot copy out of meta tensor; no data!",),
        "Weights are still on the meta device (device_map/low_cpu_mem_usage offloading) and "
        "`.to()` was called.",
        "Load without device_map (or with enough GPU memory), or use `module.to_empty(device=...)` "
        "followed by `load_state_dict`.",
        ("torch", "accelerate", "transformers"),
        (GH + "InternLM/xtuner/issues/273", GH + "huggingface/accelerate/issues/3617"),
        0.75,
        ("NotImplementedError",),
    ),
    Signature(
        "T9",
        k.MPS_UNSUPPORTED_OP,
        "torch",
        (r"The operator '(?P<op>[\w:.]+)' is not currently implemented for the MPS device",),
        "The installed torch has no Apple-MPS kernel for `{op}`.",
        "Set PYTORCH_ENABLE_MPS_FALLBACK=1 in the environment *before* Python starts (it is read "
        "once when torch loads), upgrade torch, or run that step on the CPU.",
        ("torch",),
        (GH + "opendatalab/MinerU/issues/347", GH + "pytorch/pytorch/issues/77764"),
        0.9,
        RUNTIME_OR_NIE,
        analyzer="mps",
    ),
    Signature(
        "T10",
        k.CPU_ONLY_BUILD,
        "torch",
        (r"Torch not compiled with CUDA enabled",),
        "torch is a CPU-only build but the code asked for CUDA.",
        "Install a CUDA build of torch (https://pytorch.org/get-started/locally/), or make the "
        "device selectable (`cuda` only if torch.cuda.is_available()).",
        ("torch",),
        (GH + "X-PLUG/MobileAgent/issues/60", GH + "XPixelGroup/HAT/issues/85"),
        0.85,
        ("AssertionError",),
        analyzer="cuda_expected",
    ),
    Signature(
        "T11",
        k.CPU_ONLY_BUILD,
        "torch",
        (
            r"Attempting to deserialize object on a CUDA device but torch\.cuda\.is_available\(\) "
            r"is False",
        ),
        "A checkpoint saved on a GPU is loaded where CUDA is unavailable (a CPU-only torch, or "
        "no usable GPU).",
        "Pass `map_location=torch.device('cpu')` (or the device you use) to torch.load, or "
        "install a CUDA build of torch on a GPU machine.",
        ("torch",),
        (GH + "hkchengrex/Cutie/issues/37", GH + "invoke-ai/InvokeAI/issues/3442"),
        0.6,
        ("RuntimeError",),
        analyzer="cuda_expected",
    ),
    Signature(
        "T12-warn",
        k.GPU_ARCH_UNSUPPORTED,
        "torch",
        (
            r"with CUDA capability (?P<arch>sm_\d+) is not compatible with the current PyTorch "
            r"installation",
        ),
        "The GPU ({arch}) is not among the architectures this torch build was compiled for.",
        "Install a torch build whose CUDA variant supports {arch} (newer GPUs need newer cuXXX "
        "builds); rebuild custom extensions with TORCH_CUDA_ARCH_LIST.",
        ("torch", "gpu"),
        (GH + "Turoad/CLRNet/issues/83", GH + "pytorch/pytorch/issues/31285"),
        0.9,
        analyzer="gpu_arch",
    ),
    Signature(
        "T12",
        k.GPU_ARCH_UNSUPPORTED,
        "torch",
        (r"no kernel image is available for execution on the device",),
        "A CUDA kernel was not compiled for this GPU's architecture (torch wheel or a custom extension).",
        "Install a framework build that includes your GPU's compute capability; rebuild custom "
        "extensions with TORCH_CUDA_ARCH_LIST set.",
        ("torch", "gpu"),
        (GH + "shikiw/SI-Adv/issues/3", GH + "thomasbrandon/mish-cuda/issues/10"),
        0.75,
        analyzer="gpu_arch",
    ),
    Signature(
        "T13",
        k.CPU_ONLY_BUILD,
        "torch",
        (r"\"(?P<kernel>\w+)\" not implemented for '(?P<dtype>Half|BFloat16)'",),
        "A half-precision op ran on the CPU (`{kernel}` has no {dtype} CPU kernel); often CUDA "
        "was meant to be used but is unavailable.",
        "Use float32 on the CPU, or fix the CUDA install so the model runs on the GPU.",
        ("torch",),
        (GH + "omriav/blended-diffusion/issues/14", GH + "pytorch/pytorch/issues/74625"),
        0.45,
        ("RuntimeError",),
        analyzer="cuda_expected",
    ),
    Signature(
        "T14",
        k.TORCH_EXTENSION_MISMATCH,
        "torchvision",
        (
            r"Couldn't load custom C\+\+ ops\. This can happen if your PyTorch and torchvision "
            r"versions are incompatible",
        ),
        "torchvision's compiled ops do not load: torch and torchvision do not match.",
        "Reinstall torch and torchvision as a matched pair from one index "
        "(https://github.com/pytorch/vision#installation).",
        ("torch", "torchvision"),
        (GH + "microsoft/scene_graph_benchmark/issues/60", GH + "ultralytics/yolov5/issues/11149"),
        0.85,
        ("RuntimeError",),
        analyzer="torchvision_pair",
    ),
    Signature(
        "T15",
        k.TORCH_EXTENSION_MISMATCH,
        "torchvision",
        (r"operator torchvision::(?P<op>\w+) does not exist", r"No such operator torchvision::"),
        "torchvision's compiled ops never registered: the torchvision binary does not match "
        "torch (or this Python).",
        "Reinstall torch and torchvision as a matched pair built for this Python.",
        ("torch", "torchvision"),
        (GH + "pytorch/vision/issues/9077", GH + "zylo117/Yet-Another-EfficientDet-Pytorch/issues/696"),
        0.85,
        ("RuntimeError",),
        analyzer="torchvision_pair",
    ),
    Signature(
        "T16",
        k.TORCH_EXTENSION_MISMATCH,
        "xformers",
        (r"No operator found for `memory_efficient_attention_(?:forward|backward)` with inputs",),
        "xformers found no attention kernel for these inputs.",
        "See the diagnosis summary.",
        ("xformers", "torch"),
        (
            GH + "facebookresearch/xformers/issues/1143",
            GH + "yufu-wang/PromptHMR/issues/4",
            GH + "camenduru/DeepCache-colab/issues/2",
        ),
        0.6,
        ("NotImplementedError",),
        analyzer="xformers_dispatch",
    ),
    Signature(
        "T16-build",
        k.TORCH_EXTENSION_MISMATCH,
        "xformers",
        (
            r"xFormers was built for:\s+PyTorch (?P<built>\S+) with CUDA (?P<cuda>\S+) "
            r"\(you have (?P<have>[^)\s]+)\)",
        ),
        "xformers was built for torch {built} but torch {have} is installed.",
        "Install the xformers release built for torch {have} (or torch {built}), or uninstall "
        "xformers (torch's scaled_dot_product_attention covers most uses).",
        ("xformers", "torch"),
        (GH + "yangjianxin1/Firefly/issues/258",),
        0.9,
        analyzer="xformers_build",
    ),
    Signature(
        "T17",
        k.NUMPY_INCOMPATIBLE,
        "numpy",
        (r"A module that was compiled using NumPy 1\.x cannot be run in\s+NumPy 2",),
        "A compiled extension built against NumPy 1.x is imported under NumPy 2.",
        "Install `numpy<2`, or upgrade the extension (torch >= 2.3 supports NumPy 2).",
        ("numpy",),
        (GH + "pytorch/pytorch/issues/132179", GH + "securefederatedai/openfederatedlearning/issues/999"),
        0.85,
        analyzer="numpy_abi",
    ),
    Signature(
        "T17-array-api",
        k.NUMPY_INCOMPATIBLE,
        "numpy",
        (r"Failed to initialize NumPy: _ARRAY_API not found",),
        "torch was built against NumPy 1.x and NumPy 2 is installed.",
        "Install `numpy<2`, or upgrade torch to >= 2.3.",
        ("numpy", "torch"),
        (GH + "pytorch/pytorch/issues/132179", GH + "xai4space/meteors/issues/20"),
        0.85,
        analyzer="numpy_abi",
    ),
    Signature(
        "T17-unavailable",
        k.NUMPY_INCOMPATIBLE,
        "numpy",
        (r"\bNumpy is not available\b",),
        "torch cannot use NumPy (usually a NumPy 2 beside a torch built for NumPy 1.x).",
        "Install `numpy<2`, or upgrade torch to >= 2.3.",
        ("numpy", "torch"),
        (GH + "pytorch/pytorch/issues/132179", GH + "pawansharmaaaa/Lip_Wise/issues/20"),
        0.7,
        ("RuntimeError",),
        analyzer="numpy_abi",
    ),
    Signature(
        "T20",
        k.PYTHON_UNSUPPORTED,
        "torch",
        (r"Dynamo is not supported on Python 3\.1\d\+",),
        "torch.compile is not supported by this torch on this Python version.",
        "Upgrade torch (>= 2.4 for Python 3.12, >= 2.6 for 3.13) or run on an older Python.",
        ("torch", "python"),
        (GH + "pytorch/pytorch/issues/120233", GH + "kyutai-labs/moshi/issues/156"),
        0.85,
        ("RuntimeError",),
    ),
    Signature(
        "CUDA-driver",
        k.DRIVER_TOO_OLD,
        "torch",
        (r"The NVIDIA driver on your system is too old \(found version (?P<found>\d+)\)",),
        "The NVIDIA driver supports CUDA {found_cuda} at most, older than the CUDA this torch "
        "was built with.",
        "Upgrade the NVIDIA driver, or install a torch build for CUDA <= {found_cuda}.",
        ("torch", "nvidia-driver"),
        (GH + "wuhuikai/FastFCN/issues/37", GH + "lllyasviel/Fooocus/issues/1313"),
        0.9,
        ("RuntimeError", "AssertionError", "UserWarning"),
        analyzer="driver",
    ),
    Signature(
        "CUDA-libs",
        k.CUDA_LIBRARIES_MISSING,
        "cuda",
        (
            r"(?:Could not load dynamic library '|ImportError: )(?P<lib>lib(?:cudart|cublas|"
            r"cublasLt|cudnn|cufft|curand|cusolver|cusparse|nvinfer)\.so[\w.]*)'?"
            r"(?:; dlerror:|: cannot open)",
        ),
        "The CUDA library {lib} is not on the loader path.",
        "Install the CUDA/cuDNN runtime the framework was built for (pip wheels bundle it: "
        "e.g. `pip install tensorflow[and-cuda]`), or add its directory to LD_LIBRARY_PATH.",
        ("cuda",),
        (
            GH + "tensorflow/tensorflow/issues/45930",
            GH + "jax-ml/jax/issues/3746",
            GH + "CannyLab/tsne-cuda/issues/126",
        ),
        0.75,
    ),
    Signature(
        "O1",
        k.TORCH_EXTENSION_MISMATCH,
        "mmcv",
        (r"nms_impl: implementation for device cuda:\d+ not found",),
        "mmcv's compiled ops have no CUDA kernels here (mmcv-lite, or a build for another torch/CUDA).",
        "Uninstall mmcv/mmcv-full and install the mmcv build made for your exact torch and CUDA "
        "(`mim install mmcv`).",
        ("mmcv", "torch"),
        (GH + "open-mmlab/mmdetection/issues/7788", GH + "open-mmlab/mmrotate/issues/395"),
        0.85,
        ("RuntimeError",),
    ),
)
