"""Environment signatures of torch and its ecosystem for ``explain``: builds, devices, drivers.

The dispatcher's "Could not run", CPU-only and CUDA-architecture messages,
torchvision/xformers builds that do not match torch, NumPy 2 ABI breaks and
missing CUDA libraries. Code signatures live in :mod:`compataudit.doctor.signatures`.
"""

from __future__ import annotations

from compataudit import doctor as k
from compataudit.doctor.signatures import GH, RUNTIME_OR_NIE, Signature

ENV_SIGNATURES: tuple[Signature, ...] = (
    # ------------------------------------------------------------------ torch: environment
    Signature(
        "T8",
        k.CPU_ONLY_BUILD,
        "torch",
        (
            r"Could not run '(?P<op>[\w:.]+)' with arguments from the '(?P<backend>\w+)' backend",
            # The same message with its head cut off (a pasted excerpt): the list names the op.
            r"arguments from the '(?P<backend>\w+)' backend\. This could be because the operator "
            r"doesn't exist for this backend[^\n]{0,400}?'(?P<op>[\w:.]+)' is only available for these",
        ),
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
        # "not current implemented" (torch 1.12/1.13) and "not currently implemented"; the
        # quotes may come repr-escaped (\\') from a logger or a re-raised exception's repr.
        (r"The operator \\?'(?P<op>[\w:.]+)\\?' is not current(?:ly)? implemented for the MPS device",),
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
        "T10-aten",
        k.CPU_ONLY_BUILD,
        "torch",
        (r"Cannot initialize CUDA without ATen_cuda library",),
        "torch (1.0 era) has no CUDA library loaded: a CPU-only build (or a broken link of "
        "libcaffe2_gpu / ATen_cuda) was asked for CUDA.",
        "Install a CUDA build of torch, or keep the code on the CPU.",
        ("torch",),
        (GH + "pytorch/pytorch/issues/11430",),
        0.8,
        ("RuntimeError",),
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
        "T14-cuda",
        k.TORCH_EXTENSION_MISMATCH,
        "torchvision",
        # torchvision/extension.py; "CUDA major versions" since torchvision 0.16. Wrapped
        # terminals split the sentence anywhere, hence \s+.
        (
            r"Detected that PyTorch and torchvision were compiled with different\s+CUDA\s+"
            r"(?:major\s+)?versions",
        ),
        "torch and torchvision were built for different CUDA versions (each wheel bundles its "
        "own; one of them came from another index).",
        "Reinstall torchvision from the same index (the same `cuXXX` variant) as torch, as a matched pair.",
        ("torch", "torchvision"),
        (
            GH + "deforum/deforum-stable-diffusion/issues/348",
            GH + "geocine/sd-easy-mode/issues/18",
            GH + "mathmanu/edgeai-torchvision/issues/18",
        ),
        0.9,
        ("RuntimeError",),
        analyzer="torchvision_cuda",
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
)
