"""Fact readers for native-library errors (``explain``, issue 19): undefined symbols from
compiled extensions, shared objects the loader cannot find, cuDNN versions, libstdc++.

Each reads what the message names (the library and its path, the symbol, the versions),
then the environment when one is known: which distribution ships the extension and which
torch it pins, the installed NVIDIA wheels, torch's CUDA build, the conda prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from compataudit import doctor as k
from compataudit.doctor.envfacts import CONFIRM, CONTRADICT, GH, confirm, torch_build, version_of
from compataudit.model import Environment
from compataudit.versions import in_range, local_variant, major_minor, minor_of

if TYPE_CHECKING:
    from compataudit.doctor.diagnosis import Hit

_LIB_PATH = re.compile(r"([^\s'\"()\[\]]*?([\w.+-]+\.(?:so|pyd|dylib)(?:\.[\d.]+)?))['\"]?:?\s*$")
_TORCH_NAMESPACES = ("c10::", "at::", "torch::", "caffe2::", "c10d::")
_TORCH_MANGLED = re.compile(r"_{1,2}Z(?:T[VIS])?N[KVrRO]*(?:3c10|2at|5torch|6caffe2|4c10d)\d")
_TORCH_OWN_LIB = re.compile(r"(?:^|[/\\])torch[/\\]lib[/\\]|^lib(?:torch|c10)\w*\.so")
# PyG's extension wheels are built per torch minor and CUDA, served from data.pyg.org.
_PYG = {"torch-scatter", "torch-sparse", "torch-cluster", "torch-spline-conv", "pyg-lib"}
# Top-level extension modules whose distribution name differs (used when no environment is known).
_KNOWN_EXTENSIONS = {
    "flash_attn_2_cuda": "flash-attn",
    "flash_attn_cuda": "flash-attn",
    "transformer_engine_extensions": "transformer-engine",
    "transformer_engine_torch": "transformer-engine",
    "torch_scatter": "torch-scatter",
    "torch_sparse": "torch-sparse",
    "torch_cluster": "torch-cluster",
    "torch_spline_conv": "torch-spline-conv",
    "xformers": "xformers",
    "mmcv": "mmcv",
    "vllm": "vllm",
    "bitsandbytes": "bitsandbytes",
    "deepspeed": "deepspeed",
    "apex": "apex",
    "detectron2": "detectron2",
    "torchvision": "torchvision",
    "torchaudio": "torchaudio",
}
_SITE = re.compile(r"(?:site|dist)-packages[/\\]")
PYG_WHEELS = "https://data.pyg.org/whl/"


def line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end != -1 else len(text)]


def _extension_of(path: str, env: Environment | None) -> tuple[str, str | None]:
    """(import name, distribution) of the package a shared object belongs to."""
    tail = _SITE.split(path)[-1] if _SITE.search(path) else path.rsplit("/", 1)[-1]
    parts = [p for p in re.split(r"[/\\]", tail) if p]
    head = parts[0] if parts else path
    name = re.sub(r"\.(?:cpython|cp\d|abi3|so|pyd|dylib).*$", "", head.split("-")[0])
    if env is not None:
        for pkg in env.packages:
            if name in pkg.modules or pkg.name == name.replace("_", "-").lower():
                return name, pkg.name
    return name, _KNOWN_EXTENSIONS.get(name)


def _torch_pin(env: Environment | None, dist: str | None) -> str | None:
    """The torch an extension's metadata asks for: an exact Requires-Dist pin, or a +ptXY label."""
    if env is None or dist is None:
        return None
    pkg = env.package(dist)
    if pkg is None:
        return None
    for req in pkg.requires:
        m = re.match(r"^torch\s*==\s*([\w.+]+)\s*(?:;|$)", req)
        if m:
            return m.group(1)
    label = re.search(r"\+pt(\d)(\d+)", pkg.version)
    return f"{label.group(1)}.{label.group(2)}" if label else None


def _abi_hint(symbol: str, readable: str | None) -> str | None:
    """Which C++ ABI the extension was built with, from std::string's spelling in the symbol."""
    if "__cxx11" in symbol:
        return (
            "The missing symbol uses the C++11 ABI (std::__cxx11::basic_string): the extension was "
            "built with _GLIBCXX_USE_CXX11_ABI=1 and this torch without it; pick the extension's "
            "`cxx11abiFALSE` build (flash-attn names its wheels so) or build it against this torch."
        )
    if (readable and "std::string" in readable) or re.search(r"RKSs|Ss[bEiIRS]", symbol):
        return (
            "The missing symbol uses the pre-C++11 ABI (std::string): the extension was built with "
            "_GLIBCXX_USE_CXX11_ABI=0 and this torch with the C++11 ABI (NVIDIA's containers and "
            "conda-forge build torch so); use a build for this torch or build it from source."
        )
    return None


def ext_symbol(hit: Hit, text: str, env: Environment | None) -> None:
    """An undefined symbol: whose library, which namespace, and which torch the extension wants."""
    symbol = hit.facts.get("symbol", "")
    path = hit.facts.get("path", "")
    if not path:
        line = line_at(text, hit.position)
        prefix = line[: line.find("undefined symbol")][-1000:]
        found = _LIB_PATH.search(prefix)
        path = found.group(1) if found else ""
    lib = re.split(r"[/\\]", path)[-1] if path else "the extension"
    from compataudit.doctor.demangle import demangle  # ctypes only when a symbol is read

    readable = demangle(symbol)
    name = (readable or symbol).split("(")[0]
    hit.facts.update(lib=lib, path=path)
    if readable:
        hit.evidence.append(f"symbol: {readable[:300]}")
    torch_ns = name.startswith(_TORCH_NAMESPACES) or (
        readable is None and _TORCH_MANGLED.match(symbol) is not None
    )
    if _TORCH_OWN_LIB.search(path or lib):
        if symbol.startswith("nccl"):
            _torch_nccl(hit, symbol, lib, env)
        else:  # torch's own libraries disagree: two installs mixed, or a broken build
            hit.confidence = 0.0
        return
    if re.match(r"(?:cudnn|cublas|cufft|curand|cusparse|cusolver|nccl|cuda)[A-Z_]", symbol):
        hit.kind, hit.confidence = k.CUDA_LIBRARIES_MISSING, 0.7
        hit.summary = (
            f"`{lib}` calls `{symbol}`, which the CUDA library loaded first does not export: an "
            "older CUDA/cuDNN/NCCL than it was built with comes first on the loader path."
        )
        hit.fix = (
            "Install the CUDA libraries the package was built for, and remove older copies that "
            "shadow them (LD_LIBRARY_PATH, a conda cudatoolkit)."
        )
        hit.components = ["cuda"]
        return
    if not torch_ns:
        hit.confidence = 0.0  # a symbol of the extension's own code: a broken build, no known cause
        return
    _, dist = _extension_of(path, env)
    what = f"{dist} ({lib})" if dist else f"`{lib}`"
    shown = readable or symbol
    hit.summary = (
        f"{what} was built against another torch: the installed torch does not export "
        f"`{shown[:200]}`, so importing it fails."
    )
    hit.components = ["torch", dist] if dist else ["torch"]
    torch = version_of(env, "torch")
    hint = _abi_hint(symbol, readable)
    if hint:
        hit.evidence.append(hint)
    pin = _torch_pin(env, dist)
    if torch and pin:
        same = in_range(torch, f"=={pin}.*" if pin.count(".") == 1 else f"=={pin}")
        if same is False:
            confirm(hit, CONFIRM, f"{dist} was built for torch {pin} but torch {torch} is installed")
        elif same and not hint:
            confirm(hit, -0.1, f"{dist} pins torch {pin}, which is installed")
    elif torch:
        hit.evidence.append(f"environment: torch {torch} is installed")
    target = f"torch {minor_of(torch)}" if torch else "the installed torch"
    if dist in _PYG and torch:
        variant = local_variant(torch) or "cpu"
        hit.fix = (
            f"Install the {dist} wheel built for {target}: "
            f"`pip install --force-reinstall --no-cache-dir {dist} "
            f"-f {PYG_WHEELS}torch-{minor_of(torch)}.0+{variant}.html`."
        )
    elif dist:
        hit.fix = (
            f"Install the {dist} release built for {target} (its release notes or wheel names "
            f"say which torch), or build it against this torch: "
            f"`pip install --no-build-isolation --no-cache-dir --force-reinstall {dist}`."
        )
    else:
        hit.fix = (
            f"Reinstall (or rebuild) the package that ships {lib} for {target}; building it from "
            "source against the installed torch always matches."
        )


def _torch_nccl(hit: Hit, symbol: str, lib: str, env: Environment | None) -> None:
    hit.kind, hit.confidence = k.CUDA_LIBRARIES_MISSING, 0.8
    hit.summary = (
        f"torch's {lib} needs `{symbol}`, which the NCCL that gets loaded lacks: an older "
        "libnccl (a system NCCL on LD_LIBRARY_PATH, or an older nvidia-nccl wheel) comes first."
    )
    hit.components = ["torch", "cuda"]
    hit.sources = [
        GH + "robotarium/robotarium_python_simulator/issues/42",
        GH + "pytorch/pytorch/issues/119072",
    ]
    pkg = env.package("torch") if env is not None else None
    wanted = next(
        (
            m
            for r in (pkg.requires if pkg else ())
            if (m := re.match(r"^(nvidia-nccl-cu\d+)\s*==\s*([\w.]+)", r))
        ),
        None,
    )
    if wanted:
        have = version_of(env, wanted.group(1))
        hit.fix = (
            f'`pip install "{wanted.group(1)}=={wanted.group(2)}"` (what torch requires), and unset '
            "LD_LIBRARY_PATH entries holding an older libnccl."
        )
        if have and have != wanted.group(2):
            confirm(hit, CONFIRM, f"torch requires {wanted.group(1)}=={wanted.group(2)}; {have} is installed")
    else:
        hit.fix = (
            "Install the NCCL torch was built with (the nvidia-nccl wheel its metadata requires) and "
            "remove older libnccl copies from LD_LIBRARY_PATH."
        )


# --------------------------------------------------------------------------- shared objects

# soname stem -> (what it is, pip wheel stem or None, whether the soname's major is CUDA's major)
_LIBS: dict[str, tuple[str, str | None, bool]] = {
    "cudart": ("the CUDA runtime", "nvidia-cuda-runtime-cu{major}", True),
    "cublas": ("cuBLAS", "nvidia-cublas-cu{major}", True),
    "cublasLt": ("cuBLASLt", "nvidia-cublas-cu{major}", True),
    "nvrtc": ("NVRTC", "nvidia-cuda-nvrtc-cu{major}", True),
    "cudnn": ("cuDNN", "nvidia-cudnn-cu{cuda}", False),
    "nccl": ("NCCL", "nvidia-nccl-cu{cuda}", False),
    "cufft": ("cuFFT", "nvidia-cufft-cu{cuda}", False),
    "curand": ("cuRAND", "nvidia-curand-cu{cuda}", False),
    "cusolver": ("cuSOLVER", "nvidia-cusolver-cu{cuda}", False),
    "cusparse": ("cuSPARSE", "nvidia-cusparse-cu{cuda}", False),
}


def _soname(lib: str) -> tuple[str, str | None]:
    """``libcudnn_ops_infer.so.8`` -> ("cudnn", "8"); ``libcudart.so.11.0`` -> ("cudart", "11")."""
    dll = re.match(r"([a-z]+?)(?:_[a-z_]+)?64_(\d+)\.dll$", lib)  # cudnn_ops_infer64_8.dll
    if dll:
        return dll.group(1), dll.group(2)
    m = re.match(r"lib([A-Za-z]+?)(?:_\w+)?\.so(?:\.(\d+))?", lib)
    if not m:
        return "", None
    stem = m.group(1)
    if lib.startswith("libcublasLt"):
        stem = "cublasLt"
    return stem, m.group(2)


def shared_lib(hit: Hit, text: str, env: Environment | None) -> None:
    lib, want = hit.facts.get("lib", ""), hit.facts.get("want")
    stem, major = _soname(lib)
    needed_by = f" (needed by {want})" if want and want != lib else ""
    if lib.startswith(("libtorch_cuda_cu", "libtorch_cuda_cpp")):
        hit.kind, hit.confidence = k.TORCH_EXTENSION_MISMATCH, 0.8
        hit.summary = (
            f"An extension built against an older torch, whose CUDA library was split into "
            f"libtorch_cuda_cu.so/libtorch_cuda_cpp.so, is loaded with a torch that no longer ships {lib}."
        )
        hit.fix = "Reinstall (or rebuild) the extension for the installed torch."
        hit.components = ["torch"]
        return
    if stem == "cuda":
        hit.summary = (
            f"libcuda.so, the NVIDIA driver's own library, is not visible{needed_by}: no NVIDIA "
            "driver, a container started without the GPU (--gpus), or WSL without /usr/lib/wsl/lib "
            "on the loader path."
        )
        hit.fix = (
            "Install the NVIDIA driver (or start the container with `--gpus all` / the NVIDIA "
            "container toolkit); on WSL add /usr/lib/wsl/lib to LD_LIBRARY_PATH."
        )
        hit.components = ["nvidia-driver"]
        if env is not None and env.nvidia.gpus:
            confirm(hit, CONTRADICT, "a driver answers here: the failing process runs elsewhere")
        return
    what, wheel, cuda_major = _LIBS.get(stem, (lib, None, False))
    build = torch_build(env) if env is not None else None
    torch_cuda = (build.cuda or "").split(".")[0] if build else ""
    version = f" {major}" if major and not cuda_major else ""
    cuda_text = f" (CUDA {major})" if cuda_major and major else ""
    hit.summary = f"{what}{version}{cuda_text} ({lib}) is not found by the dynamic loader{needed_by}."
    package = None
    if wheel:
        package = wheel.format(major=major or "12", cuda=torch_cuda or ("11" if major == "8" else "12"))
    if stem == "cudnn" and major:
        pin = f'"{package}=={major}.*"'
    elif package:
        pin = package
    else:
        pin = None
    hit.fix = "Install the CUDA/cuDNN release the program was built for (conda-forge, the NVIDIA packages)"
    if pin:
        hit.fix += (
            f", or `pip install {pin}` and put its lib folder (site-packages/nvidia/.../lib) on "
            "LD_LIBRARY_PATH"
        )
    hit.fix += "."
    _installed_provider(hit, stem, major, env)
    if cuda_major and major and torch_cuda and torch_cuda != major:
        hit.evidence.append(
            f"environment: torch is built for CUDA {build.cuda if build else '?'}; the program asking "
            f"for {lib} was built for CUDA {major}"
        )


def _installed_provider(hit: Hit, stem: str, major: str | None, env: Environment | None) -> None:
    """A pip NVIDIA wheel of that library installed: a different major confirms, the same says path."""
    if env is None or stem not in _LIBS:
        return
    prefix = {
        "cudart": "nvidia-cuda-runtime-cu",
        "cublasLt": "nvidia-cublas-cu",
        "nvrtc": "nvidia-cuda-nvrtc-cu",
    }.get(stem, f"nvidia-{stem}-cu")
    for pkg in env.packages:
        if not pkg.name.startswith(prefix):
            continue
        have = pkg.version.split(".")[0]
        soname_major = have if stem in {"cudnn", "nccl"} else pkg.name.removeprefix(prefix)
        if major and soname_major == major:
            hit.evidence.append(
                f"environment: {pkg.name} {pkg.version} is installed: the library is on disk but the "
                "program does not look in its folder (torch preloads it, other programs do not)"
            )
        elif major:
            confirm(
                hit, CONFIRM, f"{pkg.name} {pkg.version} is installed, but the program wants {stem} {major}"
            )
        return


# --------------------------------------------------------------------------- cuDNN


def _cudnn_version(text: str) -> str:
    """``7201`` -> ``7.2.1``, ``90100`` -> ``9.1.0``, ``(8, 9, 2)`` -> ``8.9.2``; dotted kept."""
    text = text.strip()
    if "," in text:
        return ".".join(p.strip() for p in text.split(","))
    if text.isdigit():
        n = int(text)
        major = n // 10000 if n >= 9000 * 10 else n // 1000
        rest = n % 10000 if n >= 9000 * 10 else n % 1000
        return f"{major}.{rest // 100}.{rest % 100}"
    return text


def cudnn_version(hit: Hit, text: str, env: Environment | None) -> None:
    loaded = _cudnn_version(hit.facts.get("loaded", ""))
    built = _cudnn_version(hit.facts.get("built", ""))
    hit.facts.update(loaded=loaded, built=built)
    lm, bm = major_minor(loaded), major_minor(built)
    if lm and bm and lm[0] == bm[0] and lm < bm:
        hit.summary = (
            f"An older cuDNN ({loaded}) is loaded than the {built} the framework was built with; "
            f"it needs cuDNN {bm[0]}.x at >= {built}."
        )
        hit.fix = (
            f"Make the loader find cuDNN >= {built} ({bm[0]}.x): upgrade it, or remove the older copy "
            "that shadows the framework's own (a conda `cudnn`, a system cuDNN on LD_LIBRARY_PATH)."
        )
    elif lm and bm and lm[0] == bm[0]:
        hit.summary = (
            f"cuDNN {loaded} is loaded; the framework was built with {built} and (TensorFlow 1.x "
            "and 2.0-era builds) needs the same major and minor version."
        )
        hit.fix = f"Install cuDNN {bm[0]}.{bm[1]}, or a framework build made for cuDNN {lm[0]}.{lm[1]}."
    elif lm and bm:
        hit.summary = (
            f"cuDNN {loaded} is loaded but the framework was built with cuDNN {built} (another major)."
        )
        hit.fix = (
            f"Install cuDNN {bm[0]}.x (>= {built}) for this framework build, or a framework build "
            f"made for cuDNN {lm[0]}."
        )
    if env is None:
        return
    system = env.toolkit.cudnn_version
    if system and major_minor(system) == lm:
        confirm(
            hit,
            CONFIRM,
            f"the system cuDNN {system} ({env.toolkit.cudnn_source or 'toolkit'}) matches the one loaded",
        )
    for pkg in env.packages:
        if pkg.name.startswith("nvidia-cudnn-cu") and bm and in_range(pkg.version, f">={built}") is True:
            hit.evidence.append(
                f"environment: {pkg.name} {pkg.version} would do: an older cuDNN comes first "
                "on the loader path"
            )


def dnn_missing(hit: Hit, text: str, env: Environment | None) -> None:
    driver = re.search(r"Possibly insufficient driver version: ([\d.]+)", text)
    if driver:
        hit.evidence.append(f"the log says: possibly insufficient driver version {driver.group(1)}")
    if "CUDNN_STATUS_NOT_INITIALIZED" in text:
        hit.evidence.append("cuDNN failed to initialise (CUDNN_STATUS_NOT_INITIALIZED)")
    if env is None:
        return
    wheels = [f"{p.name} {p.version}" for p in env.packages if p.name.startswith("nvidia-cudnn-cu")]
    if wheels:
        hit.evidence.append("environment: installed " + ", ".join(wheels))
    elif not env.toolkit.cudnn_version:
        confirm(hit, CONFIRM, "no cuDNN (pip wheel or system library) was found in this environment")


# --------------------------------------------------------------------------- libstdc++

# CXXABI_1.3.N -> the first GCC release with it (the same page).
_CXXABI_GCC = {11: "7.1.0", 12: "9.1.0", 13: "11.1.0", 14: "13.1.0", 15: "14.1.0"}
# GLIBCXX_3.4.N -> the first GCC release whose libstdc++ has it (the libstdc++ manual's ABI page).
_GLIBCXX_GCC = {
    19: "4.8.3", 20: "4.9.0", 21: "5.1.0", 22: "6.1.0", 23: "7.1.0", 24: "7.2.0", 25: "8.1.0",
    26: "9.1.0", 27: "9.2.0", 28: "9.3.0", 29: "11.1.0", 30: "12.1.0", 31: "13.1.0", 32: "13.2.0",
    33: "14.1.0",
}  # fmt: skip


def glibcxx(hit: Hit, text: str, env: Environment | None) -> None:
    line = line_at(text, hit.position)
    found = re.search(r"(\S*libstdc\+\+\.so[\d.]*): version", line)
    lib = found.group(1).lstrip("\"'(") if found else "libstdc++.so.6"
    ver = hit.facts.get("ver", "")
    by = hit.facts.get("by") or "the library"
    n = int(ver.rsplit(".", 1)[-1]) if ver[-1:].isdigit() else 0
    gcc = (_CXXABI_GCC if ver.startswith("CXXABI") else _GLIBCXX_GCC).get(n)
    hit.facts.update(lib=lib, by=by)
    needs = f" (GCC >= {gcc}'s runtime)" if gcc else ""
    hit.summary = (
        f"The libstdc++ that gets loaded ({lib}) is older than the one {by} was built with: it lacks "
        f"{ver}{needs}."
    )
    gcc_major = gcc.split(".")[0] if gcc else None
    if re.search(r"conda|mamba|[/\\]envs[/\\]", lib):
        spec = f"libstdcxx-ng>={gcc_major}" if gcc_major else "libstdcxx-ng"
        hit.fix = (
            f'The conda environment\'s own libstdc++ is the old one: `conda install -c conda-forge "{spec}"` '
            "(or run with the system's newer one first on LD_LIBRARY_PATH)."
        )
    else:
        newer = f" to GCC {gcc_major} or newer" if gcc_major else ""
        hit.fix = (
            f"Upgrade the system's libstdc++ (GCC runtime){newer}, "
            "or install a build of the failing package made for an older toolchain (e.g. a manylinux wheel)."
        )
    if env is not None and env.python.env_kind == "conda":
        hit.evidence.append("environment: Python runs in a conda environment (it ships its own libstdc++)")


ANALYSERS: dict[str, Callable[[Hit, str, Environment | None], None]] = {
    "ext_symbol": ext_symbol,
    "shared_lib": shared_lib,
    "cudnn_version": cudnn_version,
    "dnn_missing": dnn_missing,
    "glibcxx": glibcxx,
}
