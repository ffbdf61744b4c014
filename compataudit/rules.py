"""The one table of finding codes.

A code is an area prefix plus three digits (``DRV001``) and has a kebab-case
slug. Codes are never reused or renamed: a retired code keeps its row with
``status="removed"``, and :data:`REDIRECTS` maps renamed ones. Every rule's
explanation has the same three parts, which feed ``compataudit rule CODE``,
the SARIF rule descriptions and the docs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compataudit.model import Finding, Severity


@dataclass(frozen=True)
class Rule:
    code: str
    slug: str
    area: str
    severity: Severity
    summary: str
    what: str  # what it checks
    why: str  # why it matters
    fix: str  # how to fix it
    status: str = "stable"  # "stable" | "preview" | "removed"


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: tuple[Rule, ...] = (
    # ---------------------------------------------------------------- packages
    Rule(
        "PKG001",
        "missing-dependency",
        "packages",
        E,
        "A distribution's declared dependency is not installed",
        "Every Requires-Dist line of every installed distribution whose environment marker "
        "applies here, as `pip check` does, without running pip.",
        "The package will fail at import or at first use of the missing module.",
        "Install the missing distribution at a version the dependent accepts.",
    ),
    Rule(
        "PKG002",
        "dependency-conflict",
        "packages",
        E,
        "An installed dependency is outside the range a distribution declares",
        "The installed version of each dependency against the specifier its dependent "
        "declares, as pip matches them: a local label such as +cu121 counts only when the "
        "specifier has one (`torch==2.5.1+cu124`). A requirement on "
        "`tensorflow` is satisfied by tensorflow-cpu and the other TensorFlow variants.",
        "A dependent built or tested against another version can fail at import (ABI) "
        "or misbehave at run time.",
        "Reinstall so that both sides agree: usually upgrade or downgrade the dependency "
        "to the declared range.",
    ),
    Rule(
        "PKG003",
        "duplicate-module",
        "packages",
        E,
        "One import name is installed by several distributions",
        "Distributions that install the same top-level module (tensorflow beside "
        "tensorflow-cpu, opencv-python beside opencv-python-headless).",
        "Their files overwrite each other; which one you import depends on install order "
        "and uninstalling either breaks the other.",
        "Uninstall all of them, then install exactly one.",
    ),
    Rule(
        "PKG004",
        "broken-install",
        "packages",
        E,
        "A distribution's metadata or files are broken",
        "Metadata without a Version, unreadable METADATA, or a stack package whose "
        "import directory is gone while its dist-info remains.",
        "Imports fail or pick up a half-removed copy; pip may refuse to fix it.",
        "Force-reinstall the distribution: `pip install --force-reinstall --no-deps NAME==VERSION`.",
    ),
    Rule(
        "PKG005",
        "unparsable-version",
        "packages",
        W,
        "A distribution's version is not a valid PEP 440 version",
        "Version strings that `packaging` cannot parse.",
        "Checks that compare versions cannot judge this package; they skip it.",
        "Install a release build, or ignore this code if it is an in-house build.",
    ),
    Rule(
        "PKG006",
        "duplicate-metadata",
        "packages",
        E,
        "Two metadata directories of one distribution in one site-packages",
        "Directories such as torch-2.5.1.dist-info and torch-2.4.0.dist-info side by side: "
        "the trace of an install or uninstall that stopped half way.",
        "Which version pip, importlib.metadata and compataudit see is decided by directory "
        "order, and the files on disk may belong to either; pip's next uninstall leaves debris.",
        "Delete the stale metadata directory, then force-reinstall the version you want.",
    ),
    # ---------------------------------------------------------------- probes
    Rule(
        "PRB001",
        "probe-failed",
        "probes",
        W,
        "A probe could not answer",
        "Each external source compataudit asks (NVML, nvidia-smi, libcuda, nvcc): a source "
        "that is present but errored, printed garbage or hung past its timeout.",
        "Facts it would have given are missing, so checks that need them stay silent; a "
        "hanging nvidia-smi often means a wedged driver.",
        "Run the named command by hand; reload or reinstall the NVIDIA driver if it hangs "
        "or reports a driver/library version mismatch.",
    ),
    # ---------------------------------------------------------------- python
    Rule(
        "PY001",
        "python-unsupported",
        "python",
        E,
        "The Python version is outside a framework release's supported range",
        "The interpreter against the Python range each installed framework release "
        "supports (wheels published), from the matrices.",
        "pip will not install that release for this Python, or installs a source build "
        "that fails; an existing install may not import.",
        "Use a Python inside the range, or the framework release that supports this Python.",
    ),
    # ---------------------------------------------------------------- torch family
    Rule(
        "TCH001",
        "torchvision-mismatch",
        "torch",
        E,
        "torchvision was built for a different torch release",
        "The torchvision version against the torch release it pairs with.",
        "torchvision's compiled ops fail to register: `operator torchvision::nms does "
        "not exist` or `Couldn't load custom C++ ops`.",
        "Install the matching pair from one index, e.g. `pip install torch==X torchvision==Y`.",
    ),
    Rule(
        "TCH002",
        "torchaudio-mismatch",
        "torch",
        E,
        "torchaudio was built for a different torch release",
        "The torchaudio version against the torch release(s) it supports.",
        "torchaudio's extension fails to load or crashes at first use.",
        "Install the matching torchaudio from the same index as torch.",
    ),
    Rule(
        "TCH003",
        "torch-variant-mismatch",
        "torch",
        E,
        "torch and its extensions come from different build variants",
        "The CUDA / CPU / ROCm variant (+cu124, +cpu) of torchvision and torchaudio against torch's.",
        "A CPU torchvision next to a CUDA torch raises `Could not run 'torchvision::nms' with "
        "arguments from the 'CUDA' backend`; different CUDA majors refuse to import.",
        "Reinstall the extensions from torch's variant index (the fix names it).",
    ),
    Rule(
        "TCH004",
        "extension-torch-pin",
        "torch",
        E,
        "torchvision / torchaudio's own metadata pins another torch",
        "The `Requires-Dist: torch...` of the installed torchvision and torchaudio against the "
        "installed torch, where the matrices cannot judge the pair (a release newer than the "
        "data, or one without a recorded exact pair).",
        "The extension was compiled against that torch: its ops fail to register or load "
        "(`operator torchvision::nms does not exist`).",
        "Install the torch the extension declares, or the extension release built for your torch.",
    ),
    # ---------------------------------------------------------------- tensorflow / keras
    Rule(
        "KER001",
        "keras3-with-old-tensorflow",
        "keras",
        E,
        "Keras 3 is installed beside TensorFlow 2.15 or older",
        "The keras major version against what the installed TensorFlow requires.",
        "TensorFlow <= 2.15 expects Keras 2; tf.keras breaks or silently becomes Keras 3.",
        "Install the keras TensorFlow requires (keras 2.x of the same minor), or upgrade "
        "TensorFlow to 2.16+.",
    ),
    Rule(
        "KER002",
        "keras2-with-new-tensorflow",
        "keras",
        E,
        "Keras 2 is installed beside TensorFlow 2.16 or newer",
        "The keras major version against what the installed TensorFlow requires.",
        "TensorFlow >= 2.16 uses Keras 3 for tf.keras; `import tensorflow` fails or tf.keras "
        "is the wrong Keras.",
        "Install keras 3 (the version TensorFlow requires); for Keras 2 code use tf-keras "
        "with TF_USE_LEGACY_KERAS=1.",
    ),
    Rule(
        "KER003",
        "tf-keras-mismatch",
        "keras",
        E,
        "tf-keras is from a different TensorFlow minor release",
        "tf-keras 2.N must pair with tensorflow 2.N.",
        "tf-keras uses TensorFlow internals that change every minor release.",
        "Install tf-keras of the TensorFlow minor: `pip install tf-keras~=2.N.0`.",
    ),
    Rule(
        "KER004",
        "keras-version-mismatch",
        "keras",
        E,
        "Standalone Keras 2 does not match the TensorFlow minor release",
        "For TensorFlow 2.6-2.15 the keras package minor must equal TensorFlow's.",
        "Mismatched pairs fail at import (`cannot import name ... from tensorflow.python...`).",
        "Install keras of the TensorFlow minor: `pip install keras~=2.N.0`.",
    ),
    Rule(
        "KER005",
        "legacy-keras-setting",
        "keras",
        W,
        "TF_USE_LEGACY_KERAS is set but will not do what it says",
        "TF_USE_LEGACY_KERAS against the values TensorFlow accepts ('1', 'true', 'True') "
        "and the presence of tf-keras.",
        "An unrecognised value is silently ignored; a recognised one without tf-keras "
        "makes `tf.keras` raise ImportError.",
        "Set TF_USE_LEGACY_KERAS=1 and install tf-keras of the TensorFlow minor, or unset it.",
    ),
    Rule(
        "KER006",
        "keras-backend-unsupported",
        "keras",
        E,
        "Keras 3's configured backend is missing or too old",
        "KERAS_BACKEND (default tensorflow) against the installed backend framework and "
        "Keras 3's minimum backend versions.",
        "`import keras` fails, or falls over at the first layer call.",
        "Install the backend at the minimum version, or set KERAS_BACKEND to one that is installed.",
    ),
    Rule(
        "KER007",
        "keras-too-old-for-tensorflow",
        "keras",
        E,
        "Keras 3 is older than the TensorFlow release requires",
        "The keras 3 version against the keras range a TensorFlow release declares (e.g. TF 2.21 "
        "needs keras >= 3.12.0); for installed TensorFlow, PKG002 reports the same from its metadata.",
        "tf.keras is resolved to a Keras 3 that lacks the APIs this TensorFlow calls.",
        "Install the keras the fix names (the range TensorFlow declares).",
    ),
    # ---------------------------------------------------------------- numpy and friends
    Rule(
        "NPY001",
        "numpy-incompatible",
        "numpy",
        E,
        "numpy is outside the range a framework release works with",
        "numpy against each framework's numpy range (numpy 2 needs torch >= 2.3, TensorFlow >= 2.18, ...).",
        "Extensions compiled against numpy 1.x crash or fail at import under numpy 2 "
        "(`_ARRAY_API not found`, `numpy.dtype size changed`).",
        "Install numpy inside the range the fix names (often `numpy<2`) or upgrade the framework.",
    ),
    Rule(
        "DEP001",
        "protobuf-incompatible",
        "tensorflow",
        E,
        "protobuf is outside the range TensorFlow works with",
        "protobuf against the TensorFlow release's declared range.",
        "`TypeError: Descriptors cannot be created directly` at import.",
        "Install protobuf inside the range the fix names.",
    ),
    Rule(
        "DEP002",
        "ml-dtypes-incompatible",
        "tensorflow",
        E,
        "ml-dtypes is outside the range a framework works with",
        "ml-dtypes against the TensorFlow / JAX release's declared range.",
        "Import fails with missing dtype attributes.",
        "Install ml-dtypes inside the range the fix names.",
    ),
    # ---------------------------------------------------------------- driver / CUDA
    Rule(
        "DRV001",
        "driver-too-old",
        "cuda",
        E,
        "The NVIDIA driver is too old for the CUDA a framework was built with",
        "The driver version against the minor-version-compatibility floor of the CUDA "
        "major each framework build uses (CUDA 11.x: >= 450.80.02, 12.x: >= 525.60.13, "
        "13.x: >= 580.65.06 on Linux).",
        "CUDA initialisation fails: `The NVIDIA driver on your system is too old`; the "
        "framework silently falls back to the CPU.",
        "Upgrade the driver, or install the framework build for an older CUDA (the fix names it).",
    ),
    Rule(
        "DRV002",
        "driver-below-toolkit-minimum",
        "cuda",
        W,
        "The driver runs this CUDA only through minor-version compatibility",
        "The driver is above its CUDA major's floor but below the minimum driver of the "
        "exact CUDA release the framework was built with.",
        "Most programs run; PTX JIT and the newest CUDA features fail "
        "(`cudaErrorUnsupportedPtxVersion`, `cudaErrorCallRequiresNewerDriver`).",
        "Upgrade the driver to at least the toolkit's own minimum (the finding names it).",
    ),
    Rule(
        "DRV003",
        "cuda-build-without-driver",
        "cuda",
        W,
        "A CUDA build of a framework is installed but no NVIDIA driver was found",
        "CUDA builds (torch +cuXXX or plain PyPI Linux torch, tensorflow[and-cuda], "
        "jax CUDA plugins) on a machine where NVML, nvidia-smi and libcuda are all absent.",
        "The framework runs on the CPU only, after downloading GBs of CUDA libraries; in "
        "a container it usually means the GPU was not passed through (`--gpus all`).",
        "Pass the GPU through / install the driver, or install the CPU build to save space.",
    ),
    Rule(
        "DRV004",
        "cpu-build-with-gpu",
        "cuda",
        W,
        "A CPU-only framework build is installed on a machine with an NVIDIA GPU",
        "Framework builds with no CUDA (torch +cpu, tensorflow-cpu, jax without a CUDA "
        "plugin) while a GPU is present.",
        "The GPU sits idle; code that asks for CUDA raises `Torch not compiled with CUDA enabled`.",
        "Install the CUDA build that fits the driver (the fix names the index).",
    ),
    Rule(
        "ARC001",
        "gpu-arch-unsupported",
        "cuda",
        E,
        "A GPU's architecture is not in the framework build",
        "Each GPU's compute capability against the SASS (sm_XY) and PTX (compute_XY) "
        "targets of the build: SASS runs on the same major at an equal or higher minor; "
        "PTX JIT-compiles to any newer GPU. A build whose list is unknown is held to the "
        "ceiling of the CUDA that built it (no CUDA 12.6 build holds sm_120 code).",
        "`no kernel image is available for execution on the device` at the first kernel.",
        "Install a build whose architecture list covers the GPU (the fix names it).",
    ),
    Rule(
        "ARC002",
        "gpu-arch-ptx-only",
        "cuda",
        W,
        "A GPU is only served by PTX JIT compilation",
        "GPUs for which the build has no machine code, only PTX of an older architecture.",
        "First use JIT-compiles every kernel (minutes to half an hour) and may be slower.",
        "Install a build with machine code for the GPU, or keep the JIT cache (CUDA_CACHE_MAXSIZE).",
    ),
    Rule(
        "NVW001",
        "nvidia-wheel-mismatch",
        "nvidia-wheels",
        E,
        "An nvidia-* CUDA library wheel does not match what a framework pins",
        "Installed nvidia-* wheels (cudnn, cublas, nccl, ...) against the exact pins in "
        "the framework's metadata.",
        "The framework loads a cuDNN/cuBLAS it was not built for: `cuDNN version "
        "incompatibility`, `DNN library is not found`, or wrong results.",
        "Reinstall the framework so pip restores its pins (the fix names them).",
    ),
    Rule(
        "NVW002",
        "nvidia-wheel-conflict",
        "nvidia-wheels",
        E,
        "Two frameworks pin conflicting nvidia-* wheels",
        "torch, TensorFlow and JAX in one environment whose metadata pin different "
        "versions of the same nvidia-* wheel.",
        "Only one version can be installed; the other framework loads a library it was not built for.",
        "Use separate environments, or framework releases whose pins agree.",
    ),
    Rule(
        "NVW003",
        "mixed-cuda-wheel-families",
        "nvidia-wheels",
        W,
        "nvidia-* wheels of two CUDA majors are installed together",
        "nvidia-*-cu12 wheels beside CUDA 13 (unsuffixed or -cu13) wheels, or -cu11 beside -cu12.",
        "Whichever library loads first wins; the other framework may fail to find symbols.",
        "Remove the wheels no installed framework needs.",
    ),
    Rule(
        "CDN001",
        "cudnn-version-mismatch",
        "cuda",
        E,
        "A framework would load a cuDNN of another major or an older minor than it was built for",
        "The cuDNN each CUDA build needs (torch: the variant's cuDNN; TensorFlow: the cuDNN it "
        "was built and tested with) against the one it would load: the nvidia-cudnn-cuNN wheel "
        "of its CUDA major, else (TensorFlow, JAX) the system cuDNN. Same major and a minor at "
        "least the build's are required. Exact pins in the framework's metadata are NVW001's.",
        "A different major is not found at all (`Could not load dynamic library "
        "'libcudnn.so.8'`, the GPU is skipped); an older minor fails at the first convolution "
        "(`CuDNN library needs to have matching major version and equal or higher minor "
        "version`, `DNN library is not found`).",
        "Install the nvidia-cudnn wheel the fix names (or upgrade the system cuDNN).",
    ),
    Rule(
        "CDN002",
        "cudnn-gpu-unsupported",
        "cuda",
        W,
        "The installed cuDNN release does not support a GPU's compute capability",
        "Each GPU against the compute capabilities NVIDIA's cuDNN support matrix lists for the "
        "installed cuDNN release (only releases whose support matrix is in the data).",
        "cuDNN calls fail on the GPU (`CUDNN_STATUS_ARCH_MISMATCH`) or fall back to slow paths; "
        "e.g. cuDNN 9.17 dropped Maxwell, Pascal and Volta.",
        "Install the cuDNN release the framework pins, or one that lists the GPU.",
    ),
    # ---------------------------------------------------------------- jax
    Rule(
        "JAX001",
        "jaxlib-mismatch",
        "jax",
        E,
        "jaxlib does not match jax",
        "jaxlib must be at least jax's minimum jaxlib and not newer than jax.",
        "`import jax` raises `jaxlib is version X, but this version of jax requires version >= Y`.",
        "Install jax and jaxlib at the same version.",
    ),
    Rule(
        "JAX002",
        "jax-plugin-mismatch",
        "jax",
        E,
        "A JAX CUDA plugin does not match jaxlib",
        "jax-cuda12/13-plugin and -pjrt versions against jaxlib.",
        "JAX ignores the plugin and runs on the CPU, or fails to initialise the GPU backend.",
        "Install `jax[cuda12]==X` / `jax[cuda13]==X` so that all parts share one version.",
    ),
    # ---------------------------------------------------------------- matrices
    Rule(
        "MAT001",
        "unknown-version",
        "matrices",
        INFO,
        "A version is not in compataudit's compatibility data",
        "Versions the matrices have no row for: nightlies, vendor builds "
        "(2.4.0a0+...nv24.5), or releases newer than the data.",
        "compataudit cannot judge them, so it says so instead of guessing.",
        "Nothing to fix; update compataudit (or pass --matrices DIR with newer data).",
    ),
    # ---------------------------------------------------------------- NVIDIA NGC containers
    Rule(
        "NGC001",
        "ngc-forward-compatibility",
        "cuda",
        INFO,
        "An NGC container's CUDA is newer than the driver; forward compatibility may cover it",
        "An NVIDIA NGC framework build whose CUDA needs a newer driver than this one, where the "
        "container's release notes list this driver branch as usable on data-center GPUs.",
        "NGC containers ship the CUDA forward-compatibility package, which NVIDIA supports only "
        "on data-center GPUs (and select NGC Server Ready RTX SKUs, Jetson): there the driver "
        "finding does not apply; on other GPUs it does.",
        "On a data-center GPU nothing; elsewhere upgrade the driver as the driver finding says.",
    ),
    # ---------------------------------------------------------------- -r inputs
    Rule(
        "INP001",
        "nothing-auditable",
        "inputs",
        W,
        "An -r file names nothing compataudit can audit",
        "The environment the -r files build holds no distribution of the audited stack "
        "(torch, TensorFlow, Keras, JAX and what they stand on) at a version compataudit can "
        "resolve: every requirement is outside the stack, has no release in the data, or has no name.",
        'Without it the audit would say "No problems found" having judged nothing.',
        "Nothing to fix in the environment; check that -r names the file that installs the "
        "frameworks (for a pyproject.toml, the --extra / --group that holds them).",
    ),
    Rule(
        "INP002",
        "system-cuda-mismatch",
        "cuda",
        E,
        "A framework that loads the system CUDA by soname meets a system CUDA of another major",
        "TensorFlow CUDA builds released before the [and-cuda] extra (TensorFlow < 2.14) ship no "
        "CUDA libraries and load libcudart.so.11.0 and friends from the system; the system CUDA "
        "of the audited machine or image (an nvidia/cuda base, /usr/local/cuda) is compared "
        "with the CUDA the release was built for.",
        "A system CUDA of another major version has none of those sonames: TensorFlow logs "
        "'Could not load dynamic library' and runs on the CPU.",
        "Use the nvidia/cuda base image (or system CUDA) of the release's CUDA and cuDNN, or a "
        "TensorFlow release whose [and-cuda] wheels bring their own libraries.",
    ),
    # ---------------------------------------------------------------- compiled extensions
    Rule(
        "EXT001",
        "extension-library-missing",
        "extensions",
        E,
        "A compiled extension needs a shared library the dynamic loader will not find",
        "Every DT_NEEDED entry of each installed extension that links torch, TensorFlow or CUDA "
        "libraries, searched the way ld.so searches (RPATH/RUNPATH with $ORIGIN, LD_LIBRARY_PATH, "
        "/etc/ld.so.cache, the default folders), counting what `import torch` has loaded already "
        "(torch/lib and, for a CUDA torch, the nvidia-* wheels). Read from the ELF files; "
        "nothing is loaded.",
        "`import` fails with `libcudart.so.12: cannot open shared object file` (an error); a "
        "library loaded on demand, such as an ONNX Runtime execution provider, fails when first "
        "used (a warning).",
        "Install what provides the library (the finding names the pip wheel, conda package or "
        "system package), or the extension's build for the installed torch and CUDA.",
    ),
    Rule(
        "EXT002",
        "extension-undefined-symbol",
        "extensions",
        E,
        "A compiled extension imports torch symbols the installed torch does not export",
        "The undefined dynamic symbols of each extension in the c10, ATen, torch and caffe2 "
        "namespaces (C++ ABI tags included) against the symbol tables of every library in the "
        "installed torch's lib folder and of the libraries it resolves elsewhere (its own, "
        "conda-forge's libtorch), looked up through their ELF hash tables. An extension that "
        "needs a torch library this torch lacks (libc10_cuda.so beside a CPU torch) is EXT001's.",
        "The extension was built against another torch: `import` fails with `undefined symbol: "
        "_ZN3c10...` - torch's C++ API has no stable ABI across releases.",
        "Install the extension's build for the installed torch (the fix names it where the data "
        "knows it), or rebuild it from source against this torch.",
    ),
    Rule(
        "EXT003",
        "extension-built-for-other-torch",
        "extensions",
        E,
        "An extension's wheel names another torch release or CUDA variant",
        "What an extension's own metadata says it was built for - an exact `torch==` "
        "Requires-Dist (xformers, vllm, flash-attn...) or a `+ptXYcuNNN` local label (the PyG "
        "wheels) - against the installed torch and its CUDA variant.",
        "Such wheels contain code compiled against one torch and one CUDA: another release fails "
        "at import with undefined symbols, another CUDA major with a missing library.",
        "Install the extension's build for the installed torch, or the torch it was built for.",
    ),
    Rule(
        "EXT004",
        "toolkit-torch-cuda-mismatch",
        "extensions",
        W,
        "The system CUDA toolkit is another CUDA release than the installed torch was built with",
        "`nvcc` (CUDA_HOME, else PATH) against torch's CUDA, as torch.utils.cpp_extension "
        "compares them before compiling: another major refuses (a warning: the installed stack "
        "runs, only source builds stop), another minor warns (info).",
        "Every source build of a CUDA extension (flash-attn, apex, DeepSpeed ops, "
        "`pip install --no-binary`, `torch.utils.cpp_extension.load`) stops with `The detected "
        "CUDA version (X) mismatches the version that was used to compile PyTorch (Y)`.",
        "Install the toolkit of torch's CUDA release and point CUDA_HOME at it, or install the "
        "torch build of the toolkit's CUDA.",
    ),
    # ---------------------------------------------------------------- smoke kernels
    Rule(
        "SMK001",
        "kernel-wrong-result",
        "smoke",
        E,
        "A smoke kernel ran but computed wrong numbers",
        "conv2d forward and backward against a float64 CPU reference, with tolerances "
        "fit for the dtype; NaN never passes.",
        "Training on this stack would silently produce garbage.",
        "See the finding: usually a broken build, a bad driver or a faulty GPU.",
    ),
    Rule(
        "SMK002",
        "kernel-error",
        "smoke",
        E,
        "A smoke kernel raised an error",
        "The framework import and the conv2d kernel on each device, in a subprocess.",
        "The same error will stop your training script.",
        "Follow the fix: it uses what the static audit knows (CPU-only build, driver, architecture).",
    ),
    Rule(
        "SMK003",
        "kernel-crash",
        "smoke",
        E,
        "A smoke kernel crashed the process",
        "A signal (segfault, abort) while importing the framework or running the kernel.",
        "Your training process would die the same way, often without a Python traceback.",
        "Usually mismatched native libraries: reinstall the framework cleanly.",
    ),
    Rule(
        "SMK004",
        "kernel-timeout",
        "smoke",
        E,
        "A smoke kernel hung",
        "The framework import and kernel under --smoke-timeout; the whole process group is killed.",
        "A hang at import or first kernel usually means a wedged driver or a lock-up in GPU initialisation.",
        "Check `nvidia-smi`, the driver logs (dmesg), and raise --smoke-timeout on slow machines.",
    ),
    # ---------------------------------------------------------------- policy
    Rule(
        "POL001",
        "policy-requirement",
        "policy",
        E,
        "The environment violates a `require` pin from the configuration",
        "Each `require` entry of [tool.compataudit] (`torch>=2.4`, `python>=3.10`) against the environment.",
        "Your organisation decided this stack is not allowed.",
        "Install a version inside the required range.",
    ),
    # ---------------------------------------------------------------- code (lint, `check --code`)
    Rule(
        "LNT001",
        "missing-forward",
        "code",
        E,
        "A torch nn.Module or autograd.Function subclass has no forward",
        "Classes that resolve (through imports and local bases) to torch.nn.Module or "
        "torch.autograd.Function and define no `forward` in themselves or a local base, "
        "including misspellings (`foward`, `Forward`) and a forward nested in __init__. "
        "Reported only with evidence that an instance runs: it is called in the linted code, "
        "put into an nn.Sequential (or, with nothing else to offer, an nn.ModuleList), or the "
        "name is a near miss. Holder modules whose other methods are used (quantizers, buffer "
        "lists), transformers' modular_*.py templates and classes that other classes derive "
        "from are not judged.",
        "Calling the module raises NotImplementedError: Module [X] is missing the required "
        '"forward" function.',
        "Define `forward` (or fix its name or indentation).",
    ),
    Rule(
        "LNT002",
        "missing-call",
        "code",
        E,
        "A Keras Layer or Model subclass has no call",
        "keras / tf.keras / tf_keras Layer and Model subclasses without `call` (near misses "
        "such as `Call`, a PyTorch-style `forward`, or `__call__` overridden instead), when "
        "an instance is called, put in a Sequential, fitted, evaluated, predicted or saved. "
        "Functional subclasses (`Cls(inputs, outputs)`, `super().__init__(inputs=..., "
        "outputs=...)`) have a call. A model with its own train_step gets at most a warning, "
        "and only when it is called, predicted, evaluated (fit with validation) or saved.",
        "Keras 3 raises NotImplementedError when the layer runs; Keras 2 silently returns the "
        "input unchanged, so the model trains without the layer.",
        "Define `call(self, inputs)`.",
    ),
    Rule(
        "LNT003",
        "missing-backward",
        "code",
        E,
        "A custom autograd.Function has no backward",
        "torch.autograd.Function subclasses with `forward` but no `backward` or `vjp`; a "
        "warning when every `.apply` in the linted code is under torch.no_grad() / "
        "inference_mode or forward marks its outputs non-differentiable.",
        "Backpropagating through it raises NotImplementedError.",
        "Add `@staticmethod def backward(ctx, grad_output)`.",
    ),
    Rule(
        "LNT004",
        "non-static-autograd",
        "code",
        W,
        "An autograd.Function uses the legacy (non-static) style",
        "`forward`/`backward` neither @staticmethod nor @classmethod (a warning), or a Function "
        "instantiated and called (`MyFn()(x)`, `MyFn(arg)(x)`, `fn = MyFn(); fn(x)`: an error).",
        "Calling an instance raises RuntimeError on torch >= 1.5 (legacy autograd function).",
        "Make forward/backward static and call `MyFn.apply(...)`.",
    ),
    Rule(
        "LNT005",
        "missing-get-config",
        "code",
        W,
        "A Keras layer with constructor arguments has no get_config",
        "Keras Layer subclasses whose __init__ takes arguments beyond **kwargs and the base "
        "keywords, with no `get_config` in the class or a local base: every such argument "
        "under Keras 2 paths (tf.keras, tf_keras, keras.engine); under Keras 3, which records "
        "plain arguments itself, only arguments annotated with or given a non-plain value "
        "(a layer, an initializer object, a lambda). Not in test files.",
        "Saving, checkpointing or cloning the model fails (must override `get_config`).",
        "Implement `get_config` returning the constructor arguments.",
    ),
    Rule(
        "LNT006",
        "missing-super-init",
        "code",
        E,
        "A module's __init__ does not run the base class __init__ first",
        "torch and Keras subclasses (any import path: keras.engine.topology, tf.keras aliases) "
        "whose __init__ assigns (itself or in a helper method it calls, whatever its first "
        "parameter is called) what fails before the base __init__ (torch: a submodule, Parameter "
        "or buffer, built there, or passed in: an error when its annotation is a module, a "
        "warning when only its name says so; Keras 2: anything, and a layer into a Model; "
        "Keras 3: anything, unless the layer overrides __call__ and adds no weights), calls "
        "the one-argument `super(Cls).__init__()` or `super.__init__()`, or calls "
        "`super(nn.Module, self).__init__()` / `super(Layer, self).__init__()`.",
        "torch raises AttributeError (cannot assign module before Module.__init__() call); "
        "Keras 3 raises RuntimeError at the first call.",
        "Call `super().__init__()` as the first statement of __init__.",
    ),
    Rule(
        "LNT007",
        "missing-method",
        "code",
        E,
        "A class leaves a required method unimplemented",
        "torch Dataset subclasses without `__getitem__` (IterableDataset: `__iter__`), and "
        "classes constructed in the linted code that leave an abstract method of a local ABC "
        "unimplemented (only under ABCMeta: nn.Module's metaclass does not enforce "
        "@abstractmethod). Datasets in test files only with a near-miss name.",
        "Indexing the dataset raises NotImplementedError; instantiating the class raises "
        "TypeError (Can't instantiate abstract class).",
        "Implement the method (check its spelling).",
    ),
    Rule(
        "LNT008",
        "syntax-error",
        "code",
        E,
        "A Python file does not parse",
        "Every file given to the linter, parsed with `ast`.",
        "The file cannot be imported; the other lint rules could not look at it.",
        "Fix the syntax error (`python -m py_compile FILE` shows it).",
    ),
    Rule(
        "LNT009",
        "conv-weight-shape",
        "code",
        E,
        "A convolution's weight has a literal shape of the wrong rank",
        "`torch.conv{1,2,3}d` / `F.conv*d` calls whose weight is `self.w` created as "
        "`nn.Parameter(torch.randn(<literal shape>))` with a rank other than 3/4/5.",
        "The first forward pass raises RuntimeError (weight should have at least three "
        "dimensions / expected weight of size ...).",
        "Create the weight as (out_channels, in_channels/groups, *kernel), or use nn.Conv2d.",
    ),
    # ---------------------------------------------------------------- fleet
    Rule(
        "FLT001",
        "baseline-drift",
        "fleet",
        E,
        "This node's stack drifted from the golden baseline",
        "With `check --baseline FILE` (a snapshot or report of a known-good node): each "
        "framework and nvidia-* distribution's version with its build label, what each "
        "framework was built for (CUDA/ROCm/CPU), the NVIDIA driver branch and the GPU models.",
        "Jobs are tested on the baseline stack; a node that differs fails where the others "
        "work (a CPU build, another CUDA variant, a GPU the wheels were not built for).",
        "Reinstall this node from the same image or lock file as the baseline, or, if the "
        "change is intended, write a new baseline with `compataudit snapshot -o FILE`.",
    ),
)

REDIRECTS: dict[str, str] = {}

_BY_CODE = {rule.code: rule for rule in RULES}
_BY_SLUG = {rule.slug: rule for rule in RULES}


def get_rule(code_or_slug: str) -> Rule | None:
    """Look a rule up by code (``drv001`` works) or slug."""
    key = code_or_slug.strip()
    code = REDIRECTS.get(key.upper(), key.upper())
    return _BY_CODE.get(code) or _BY_SLUG.get(key.lower())


def rule(code: str) -> Rule:
    """The rule for ``code``; a KeyError here is a programming error."""
    return _BY_CODE[code]


# Areas whose findings come from outside the check modules: lint's problems ("code") and the
# smoke kernels ("smoke", which reports carry in a suite of their own).
_NOT_CHECK_AREAS = frozenset({"code", "smoke"})


def check_areas() -> list[str]:
    """Every area the static checks can file a finding under, from this table alone."""
    return sorted({r.area for r in RULES if r.status != "removed" and r.area not in _NOT_CHECK_AREAS})


def finding(
    code: str,
    title: str,
    detail: str = "",
    *,
    components: Iterable[str] = (),
    fix: str | None = None,
    sources: Iterable[str] = (),
    severity: Severity | None = None,
) -> Finding:
    """A finding for ``code``, with the rule's default severity and area."""
    r = rule(code)
    return Finding(
        code=code,
        severity=severity or r.severity,
        title=title,
        detail=detail,
        components=tuple(dict.fromkeys(components)),
        fix=fix,
        sources=tuple(dict.fromkeys(sources)),
        area=r.area,
    )
