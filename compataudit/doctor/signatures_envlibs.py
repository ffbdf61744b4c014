"""Signatures of the environment errors users paste (issue 19): compiled extensions and the
native libraries under the frameworks, for ``explain``.

Undefined C++ symbols from extensions, CUDA/cuDNN/NCCL shared objects that do not load,
cuDNN version checks (TensorFlow/XLA and torch), the NumPy C-API family, the numbered
CUDA runtime errors of old torch/caffe builds, the PTX toolchain error, libstdc++'s
``GLIBCXX_…`` versions, protobuf's generated-code error, jax/jaxlib version checks,
torch.utils.cpp_extension's CUDA check, "GPU too old" warnings; plus a pickled
``PosixPath``/``WindowsPath`` (issue 20). The facts each message carries are read by
:mod:`compataudit.doctor.crosscheck_envlibs`.
"""

from __future__ import annotations

from compataudit import doctor as k
from compataudit.doctor.signatures import GH, Signature

_CUDA_LIBS = (
    r"cudart|cublas|cublasLt|cudnn\w*|cufft|curand|cusolver|cusparse|cusparseLt|nccl|nvrtc|"
    r"nvJitLink|nvToolsExt|cupti|nvinfer\w*|cuda|torch_cuda_cu|torch_cuda_cpp"
)
NVIDIA_DOCS = "https://docs.nvidia.com/"

ENVLIB_SIGNATURES: tuple[Signature, ...] = (
    Signature(
        "X1",
        k.TORCH_EXTENSION_MISMATCH,
        "torch",
        (
            # glibc: "<path>.so: undefined symbol: <sym>"; macOS: "symbol not found in flat
            # namespace '<sym>'" after "dlopen(<path>.so, 0x0002)".
            # Literal heads keep the scan linear; the library path is read from the line.
            r"undefined symbol:\s*(?P<symbol>[\w$.@]+)",
            r"dlopen\((?P<path>[^\s,()]+), \w+\): symbol not found in flat namespace '(?P<symbol>\w+)'",
        ),
        "`{lib}` needs the symbol `{symbol}`, which the libraries it loads do not export.",
        "Reinstall the package that ships {lib} built for the installed torch.",
        ("torch",),
        (
            GH + "Dao-AILab/flash-attention/issues/1832",
            GH + "Dao-AILab/flash-attention/issues/931",
            GH + "rusty1s/pytorch_scatter/issues/476",
        ),
        0.8,
        ("ImportError", "OSError", "RuntimeError"),
        analyzer="ext_symbol",
    ),
    Signature(
        "X2",
        k.CUDA_LIBRARIES_MISSING,
        "cuda",
        (
            r"Could not load library (?P<want>lib[\w+-]+\.so[\d.]*)\. Error: (?P<lib>lib[\w+-]+\.so[\d.]*): "
            r"cannot open shared object file",
            rf"(?P<lib>lib(?:{_CUDA_LIBS})\.so(?:\.\d+)*): cannot open shared object file",
            rf"error while loading shared libraries: (?P<lib>lib(?:{_CUDA_LIBS})\.so(?:\.\d+)*)",
            # Windows (CTranslate2 / faster-whisper): "Could not locate cudnn_ops_infer64_8.dll."
            r"Could not (?:locate|load library) (?P<lib>(?:cudnn|cublas|cudart)\w*\.dll)",
        ),
        "{lib} is not found by the dynamic loader.",
        "Install the library the program was built for, or put its folder on LD_LIBRARY_PATH.",
        ("cuda",),
        (
            GH + "jianchang512/stt/issues/76",
            GH + "chenyme/Chenyme-AAVT/issues/1",
            GH + "pinokiocomputer/pinokio/issues/193",
        ),
        0.8,
        ("ImportError", "OSError", "RuntimeError"),
        analyzer="shared_lib",
    ),
    Signature(
        "X3",
        k.CUDNN_VERSION_MISMATCH,
        "cudnn",
        (
            r"Loaded runtime CuDNN library:? (?P<loaded>[\d.]+)(?: \(compatibility version \d+\))? "
            r"but source was compiled with:? (?P<built>\d[\d.]*\d)",
            # torch: "cuDNN version incompatibility: PyTorch was compiled against (8, 9, 2) but
            # found runtime version (8, 5, 0)".
            r"PyTorch was compiled\s+against \((?P<built>\d+, \d+, \d+)\) but found runtime version "
            r"\((?P<loaded>\d+, \d+, \d+)\)",
        ),
        "cuDNN {loaded} was loaded but the framework was built with cuDNN {built}.",
        "See the diagnosis summary.",
        ("cudnn",),
        (
            GH + "tensorflow/tensorflow/issues/39842",
            GH + "Kaggle/docker-python/issues/1435",
            GH + "googlecolab/colabtools/issues/2626",
        ),
        0.9,
        analyzer="cudnn_version",
    ),
    Signature(
        "X4",
        k.CUDA_LIBRARIES_MISSING,
        "tensorflow",
        (r"DNN library is not found",),
        "TensorFlow/XLA found no usable cuDNN: it is missing, not on the loader path, or a "
        "release the framework cannot use.",
        "Install the cuDNN the framework was built for (pip: `pip install tensorflow[and-cuda]` or "
        '`pip install -U "jax[cuda12]"` bring it), and remove older copies that shadow it on '
        "LD_LIBRARY_PATH.",
        ("cudnn", "tensorflow"),
        (
            GH + "apapiu/guided-diffusion-keras/issues/8",
            GH + "google-research/multinerf/issues/14",
            GH + "leondgarse/Keras_insightface/issues/130",
        ),
        0.75,
        analyzer="dnn_missing",
    ),
    Signature(
        "X5",
        k.NUMPY_INCOMPATIBLE,
        "numpy",
        (
            r"module compiled against (?P<what>API|ABI) version (?P<built>0x[0-9a-fA-F]+) but this "
            r"version of numpy is (?P<have>0x[0-9a-fA-F]+)",
            r"numpy\.ndarray size changed, may indicate binary incompatibility\.\s*Expected "
            r"(?P<header>\d+) from C header, got (?P<runtime>\d+) from PyObject",
            # What an extension says when NumPy's C-API import failed (usually after the above).
            r"numpy\.(?:_?core)\.(?:_multiarray_umath|multiarray) failed to import",
        ),
        "A compiled extension was built against another NumPy than the one imported.",
        "See the diagnosis summary.",
        ("numpy",),
        (
            GH + "numpy/numpy/blob/main/numpy/_core/code_generators/cversions.txt",
            GH + "zju3dv/NeuralRecon/issues/147",
            GH + "recommenders-team/recommenders/issues/1562",
        ),
        0.85,
        analyzer="numpy_api",
    ),
    Signature(
        "X6",
        k.DRIVER_TOO_OLD,
        "cuda",
        (
            r"cuda runtime error \((?P<code>\d+)\)",
            r"error == cudaSuccess \((?P<code>\d+) vs\. 0\)",
            r"THCudaCheck FAIL file=\S+ line=\d+ error=(?P<code>\d+)",
            r"CUDA driver version is insufficient for CUDA runtime version",
        ),
        "CUDA runtime error {code}.",
        "See the diagnosis summary.",
        ("cuda",),
        (
            NVIDIA_DOCS + "cuda/archive/10.0/cuda-runtime-api/group__CUDART__TYPES.html",
            GH + "mlcommons/inference/issues/54",
            GH + "BobLiu20/YOLOv3_PyTorch/issues/12",
        ),
        0.75,
        analyzer="cuda_runtime_code",
    ),
    Signature(
        "X7",
        k.PTX_TOOLCHAIN_TOO_NEW,
        "cuda",
        (
            r"the provided PTX was compiled with an unsupported toolchain",
            r"CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        ),
        "The program carries PTX made by a CUDA toolkit newer than the NVIDIA driver supports, "
        "so the driver cannot compile it for the GPU (cudaErrorUnsupportedPtxVersion, 222).",
        "Upgrade the NVIDIA driver to one that supports the toolkit that built the program, or "
        "rebuild it with a toolkit no newer than the driver's CUDA version (`nvidia-smi` shows it) "
        "and with machine code (sm_XX) for this GPU.",
        ("cuda", "nvidia-driver"),
        (
            GH + "NVIDIA-AI-IOT/Lidar_AI_Solution/issues/289",
            GH + "mit-han-lab/inter-operator-scheduler/issues/4",
            GH + "NVIDIA/CUDALibrarySamples/issues/47",
        ),
        0.85,
        analyzer="ptx_toolchain",
    ),
    Signature(
        "X8",
        k.GLIBCXX_TOO_OLD,
        "os",
        (
            r"libstdc\+\+\.so[\d.]*: version [`'‘]?(?P<ver>(?:GLIBCXX_3\.4|CXXABI_1\.3)\.\d+)['’]? not found"
            r"(?: \(required by (?P<by>[^)\n]+)\))?",
        ),
        "The libstdc++ that gets loaded ({lib}) is older than the one {by} was built with (it lacks {ver}).",
        "See the diagnosis summary.",
        ("os",),
        (
            "https://gcc.gnu.org/onlinedocs/libstdc++/manual/abi.html",
            GH + "isl-org/Open3D/issues/5531",
            GH + "kvcache-ai/ktransformers/issues/524",
        ),
        0.85,
        analyzer="glibcxx",
    ),
    Signature(
        "X9",
        k.PROTOBUF_INCOMPATIBLE,
        "protobuf",
        (
            r"Descriptors cannot (?:not )?be created directly",
            # The reverse: code generated by protoc >= 3.20 imported with an older protobuf.
            r"cannot import name '(?P<builder>builder)' from 'google\.protobuf\.internal'",
        ),
        "Generated `_pb2.py` code made by an old protoc (< 3.19) is imported with protobuf >= 4, "
        "which refuses it.",
        'Install `protobuf<=3.20.3` (`pip install "protobuf<=3.20.3"`), regenerate the `_pb2.py` '
        "files with protoc >= 3.19, or set PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python (slow).",
        ("protobuf",),
        (
            "https://protobuf.dev/news/2022-05-06/#python-updates",
            GH + "protocolbuffers/protobuf/issues/10064",
            GH + "vm03/payload_dumper/issues/38",
        ),
        0.9,
        ("TypeError", "ImportError"),
        analyzer="protobuf",
    ),
    Signature(
        "X10",
        k.JAXLIB_VERSION_MISMATCH,
        "jax",
        (
            r"jaxlib is version (?P<jaxlib>\d[\w.+]*), but this version of jax requires version "
            r">= (?P<need>\d[\w.]*\d)",
            r"jaxlib version (?P<jaxlib>\d[\w.+]*) (?:is installed,? )?but this version of jax "
            r"requires (?:version )?(?:>= )?(?P<need>\d[\w.]*\d)",
            r"jaxlib version (?P<jaxlib>\d[\w.+]*) is newer than and incompatible with jax version "
            r"(?P<jax>\d[\w.]*\d)",
            r"jaxlib version (?P<jaxlib>\d[\w.+]*) is older than (?:the minimum )?",
            r"JAX plugin (?P<plugin>\w+) version (?P<plugin_version>\d[\w.]*) is installed,\s*but it is "
            r"not compatible with the installed jaxlib version (?P<jaxlib>\d[\w.]*\d)",
            r"Mismatched PJRT plugin PJRT API version",
        ),
        "jax and jaxlib (or its CUDA plugin) are not a matching release.",
        'Install matching releases: `pip install -U "jax[cuda12]"` (or `pip install -U jax jaxlib` '
        "on the CPU) so jax, jaxlib and the plugins share one version.",
        ("jax", "jaxlib"),
        (
            GH + "jax-ml/jax/issues/17638",
            GH + "conda-forge/jax-feedstock/issues/81",
            GH + "jax-ml/jax/issues/22416",
        ),
        0.9,
        ("RuntimeError", "RuntimeWarning"),
        analyzer="jaxlib",
    ),
    Signature(
        "X11",
        k.CUDA_TOOLKIT_MISMATCH,
        "cuda",
        (
            r"The detected CUDA version \((?P<toolkit>[\d.]+)\) mismatches the version that was used "
            r"to compile\s+PyTorch \((?P<torch>[\d.]+)\)",
            r"The detected CUDA version \((?P<toolkit>[\d.]+)\) has a minor version mismatch with the "
            r"version that was used to compile\s+PyTorch \((?P<torch>[\d.]+)\)",
            # DeepSpeed's op builder and NVIDIA apex's setup.py.
            r"Installed CUDA version (?P<toolkit>[\d.]+) does not match the version torch was compiled "
            r"with (?P<torch>[\d.]+)",
            r"Cuda extensions are being compiled with a version of Cuda that does not match the version "
            r"used to compile Pytorch binaries\.\s+Pytorch binaries were compiled with Cuda "
            r"(?P<torch>[\d.]+)",
        ),
        "The CUDA toolkit that compiles the extension ({toolkit}) is not the CUDA torch was "
        "built with ({torch}); torch.utils.cpp_extension refuses a different major.",
        "See the diagnosis summary.",
        ("cuda", "torch"),
        (
            GH + "pytorch/pytorch/blob/main/torch/utils/cpp_extension.py",
            GH + "rusty1s/pytorch_sparse/issues/189",
            GH + "open-mmlab/OpenPCDet/issues/1275",
        ),
        0.9,
        ("RuntimeError", "UserWarning"),
        analyzer="toolkit_mismatch",
    ),
    Signature(
        "X12",
        k.GPU_ARCH_UNSUPPORTED,
        "torch",
        (
            r"Found GPU(?P<index>\d+) (?P<name>[^\n]+?) which is of cuda capability "
            r"(?P<cc>\d+\.\d+)\.\s+PyTorch no longer supports this GPU because it is too old\."
            r"(?:\s+The minimum cuda capability (?:supported by this library|that we support) is "
            r"(?P<min>\d+\.\d+))?",
            r"Found GPU(?P<index>\d+) (?P<name>[^\n]+?) which is of cuda capability (?P<cc>\d+\.\d+)\.\s+"
            r"Minimum and Maximum cuda capability supported by this version of PyTorch is\s+"
            r"\((?P<min>\d+\.\d+)\) - \((?P<max>\d+\.\d+)\)",
        ),
        "GPU {index} ({name}, compute capability {cc}) is older than every architecture this "
        "torch build was compiled for.",
        "Use a torch release whose wheels still include compute capability {cc}, build torch from "
        "source with TORCH_CUDA_ARCH_LIST={cc}, or run on the CPU.",
        ("torch", "gpu"),
        (
            GH + "pytorch/pytorch/issues/24205",
            GH + "w-okada/voice-changer/issues/447",
            GH + "AUTOMATIC1111/stable-diffusion-webui/issues/3003",
        ),
        0.9,
        analyzer="min_capability",
    ),
    Signature(
        "P1",
        k.PICKLED_PATH_PLATFORM,
        "python",
        (r"cannot instantiate '(?P<cls>PosixPath|WindowsPath)' on your system",),
        "The pickle (a checkpoint, a fastai learner, a saved store) holds a pathlib.{cls} made "
        "on another operating system, and this one cannot create that class.",
        "See the diagnosis summary.",
        ("python",),
        (
            GH + "ultralytics/yolov5/issues/10240",
            GH + "RCVLab-AiimLab/crowd_counting/issues/3",
            GH + "hwchase17/notion-qa/issues/12",
        ),
        0.92,
        ("NotImplementedError",),
        analyzer="pickled_path",
    ),
)
