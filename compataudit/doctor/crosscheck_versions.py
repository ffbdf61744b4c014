"""Fact readers for version-check errors (``explain``, issues 19 and 20): NumPy's C-API,
numbered CUDA runtime errors, PTX, protobuf, jax/jaxlib, cpp_extension's CUDA check, GPUs
below a build's minimum and pickled pathlib paths.

Each reads the versions the message states, then compares them with what the environment
says when one is known; a contradiction lowers the confidence instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from compataudit import doctor as k
from compataudit.doctor.crosscheck_native import line_at
from compataudit.doctor.envfacts import CONFIRM, CONTRADICT, confirm, torch_build, version_of
from compataudit.model import Environment
from compataudit.versions import in_range, major_minor, parse_version

if TYPE_CHECKING:
    from compataudit.doctor.diagnosis import Hit

# NumPy C-API feature versions -> the releases that have them (numpy's cversions.txt).
_NUMPY_API: dict[int, tuple[str, str]] = {
    0x6: ("1.6", "1.6"), 0x7: ("1.7", "1.7"), 0x8: ("1.7", "1.7"), 0x9: ("1.8", "1.9"),
    0xA: ("1.10", "1.12"), 0xB: ("1.13", "1.13"), 0xC: ("1.14", "1.15"), 0xD: ("1.16", "1.19"),
    0xE: ("1.20", "1.21"), 0xF: ("1.22", "1.22"), 0x10: ("1.23", "1.24"), 0x11: ("1.25", "1.26"),
    0x12: ("2.0", "2.0"), 0x13: ("2.1", "2.2"), 0x14: ("2.3", "2.3"), 0x15: ("2.4", "2.4"),
    0x16: ("2.5", "2.5"),
}  # fmt: skip


def _releases(api: int) -> str:
    first, last = _NUMPY_API.get(api, ("?", "?"))
    return f"NumPy {first}" if first == last else f"NumPy {first}-{last}"


def numpy_api(hit: Hit, text: str, env: Environment | None) -> None:
    """The C-API/ABI version or struct size an extension was built for versus the one imported."""
    numpy = version_of(env, "numpy")
    if "built" not in hit.facts and "header" not in hit.facts:  # "multiarray failed to import"
        hit.confidence = 0.6
        hit.summary = (
            "A compiled extension could not import NumPy's C-API: it was built against another NumPy "
            "than the one imported (the lines above it usually say which)."
        )
        hit.fix = (
            "Install the numpy the extension was built for (NumPy 1.x extensions need "
            '`pip install "numpy<2"`), or reinstall the extension for your numpy.'
        )
        if numpy:
            hit.evidence.append(f"environment: numpy {numpy} is installed")
        return
    if "header" in hit.facts:
        header, runtime = int(hit.facts["header"]), int(hit.facts["runtime"])
        newer = header > runtime
        era = " (NumPy >= 1.20 added a field to the array struct)" if {header, runtime} == {80, 88} else ""
        hit.summary = (
            f"An extension was built against a {'newer' if newer else 'older'} NumPy than the one "
            f"imported: its array struct is {header} bytes, the imported NumPy's {runtime}{era}."
        )
        hit.fix = (
            "Upgrade numpy (`pip install -U numpy`, keeping `<2` if the extension predates NumPy 2), "
            "or reinstall the extension built for your numpy."
            if newer
            else "Reinstall (or upgrade) the extension for the installed numpy, or install the numpy "
            "it was built for."
        )
        if numpy:
            hit.evidence.append(f"environment: numpy {numpy} is installed")
        return
    built, have = int(hit.facts["built"], 16), int(hit.facts["have"], 16)
    if hit.facts.get("what") == "ABI":
        one_two = built >> 24 == 1 and have >> 24 == 2
        hit.summary = (
            "An extension built for NumPy 1.x is imported under NumPy 2 (ABI 0x1000009 vs 0x2000000)."
            if one_two
            else f"An extension built for NumPy ABI {hex(built)} is imported under ABI {hex(have)}."
        )
        hit.fix = '`pip install "numpy<2"`, or upgrade the extension to a release built for NumPy 2.'
        if numpy and one_two and in_range(numpy, ">=2") is True:
            confirm(hit, CONFIRM, f"numpy {numpy} is installed")
        return
    first = _NUMPY_API.get(built, ("?", "?"))[0]
    hit.summary = (
        f"An extension was built against {_releases(built)} (C-API {hex(built)}) but the NumPy it "
        f"imports is {_releases(have)} (C-API {hex(have)}): older than the extension needs."
    )
    upper = ",<2" if built < 0x12 else ""
    hit.fix = (
        f'`pip install "numpy>={first}{upper}"` (and make sure that numpy is the one imported), or '
        "install the extension built for your numpy."
    )
    if numpy and first != "?":
        if in_range(numpy, f">={first}") is True:
            confirm(
                hit,
                -0.1,
                f"numpy {numpy} here is new enough: another, older numpy is imported first "
                "(a system or user site-packages copy: check numpy.__file__)",
            )
        else:
            confirm(hit, CONFIRM, f"numpy {numpy} is older than NumPy {first}")


# --------------------------------------------------------------------------- CUDA runtime codes

# cudaError_t values of CUDA <= 10.0 (CUDA 10.1 renumbered most; 35 kept its value).
_CUDA_CODES: dict[int, tuple[str, str]] = {
    35: (
        k.DRIVER_TOO_OLD,
        "cudaErrorInsufficientDriver: the NVIDIA driver is older than the CUDA runtime the "
        "program was built with",
    ),
    48: (
        k.GPU_ARCH_UNSUPPORTED,
        "cudaErrorNoKernelImageForDevice: no kernel in the binary was compiled for this GPU's architecture",
    ),
    8: (
        k.GPU_ARCH_UNSUPPORTED,
        "cudaErrorInvalidDeviceFunction: the kernel was not compiled for this GPU's architecture "
        "(often a GPU too old for the build)",
    ),
}
_WORDS = (
    ("driver version is insufficient", 35),
    ("no kernel image is available", 48),
    ("invalid device function", 8),
)


def _torch_cuda(env: Environment | None) -> str | None:
    """torch's CUDA: the matrices' resolved build, else the probed build facts (old releases)."""
    if env is None:
        return None
    build = torch_build(env)
    if build is not None and build.cuda:
        return build.cuda
    probed = env.build("torch")
    return probed.cuda if probed is not None else None


def cuda_runtime_code(hit: Hit, text: str, env: Environment | None) -> None:
    line = line_at(text, hit.position).lower()
    code = int(hit.facts.get("code", "0") or 0)
    worded = next((c for words, c in _WORDS if words in line), None)
    if worded is not None:
        code = worded
    if code not in _CUDA_CODES:
        hit.confidence = 0.0  # out of memory, unknown error, ...: no environment cause to name
        return
    hit.kind, meaning = _CUDA_CODES[code]
    hit.summary = f"CUDA runtime error {code} is {meaning}."
    if hit.kind == k.DRIVER_TOO_OLD:
        hit.fix = (
            "Upgrade the NVIDIA driver, or install a framework build for a CUDA the driver "
            "supports (`nvidia-smi` shows the newest CUDA it supports)."
        )
        hit.components = ["nvidia-driver", "cuda"]
        cuda = _torch_cuda(env)
        driver = env.nvidia.cuda_driver_version if env is not None else None
        if cuda and driver and in_range(cuda, ">" + driver):
            confirm(hit, CONFIRM, f"torch is built for CUDA {cuda}; the driver supports CUDA {driver}")
    else:
        hit.fix = (
            "Install a build that includes your GPU's compute capability (old GPUs need older "
            "releases), or rebuild the extension with TORCH_CUDA_ARCH_LIST set to it."
        )
        hit.components = ["gpu", "torch"]


def ptx_toolchain(hit: Hit, text: str, env: Environment | None) -> None:
    if env is None:
        return
    driver = env.nvidia.cuda_driver_version
    nvcc = env.toolkit.nvcc_version
    if driver and nvcc and (mm := major_minor(nvcc)) and in_range(f"{mm[0]}.{mm[1]}", ">" + driver):
        confirm(hit, CONFIRM, f"nvcc {nvcc} is newer than the CUDA {driver} the driver supports")
    elif driver:
        hit.evidence.append(f"environment: the driver supports CUDA {driver}")


def protobuf(hit: Hit, text: str, env: Environment | None) -> None:
    generated = re.search(r"([\w.-]+_pb2)\.py", text)
    if generated:
        hit.evidence.append(f"generated module: {generated.group(1)}.py")
    have = version_of(env, "protobuf")
    if "builder" in hit.facts:  # the reverse: new generated code, old protobuf runtime
        hit.summary = (
            "Generated `_pb2.py` code made by protoc >= 3.20 is imported with an older protobuf "
            "(< 3.20), which lacks google.protobuf.internal.builder."
        )
        hit.fix = '`pip install -U "protobuf>=3.20"` (within what the other packages allow).'
        if have and in_range(have, "<3.20") is True:
            confirm(hit, CONFIRM, f"protobuf {have} is installed")
        return
    if have is None:
        return
    if in_range(have, ">=4") is True:
        confirm(hit, CONFIRM, f"protobuf {have} is installed")
    elif in_range(have, "<3.20") is True:
        confirm(hit, CONTRADICT, f"protobuf {have} is installed: another protobuf is imported")


def jaxlib(hit: Hit, text: str, env: Environment | None) -> None:
    f = hit.facts
    if "need" in f:
        hit.summary = f"jaxlib {f['jaxlib']} is older than the {f['need']} this jax requires."
        hit.fix = (
            f'`pip install -U "jaxlib>={f["need"]}"` (with the matching CUDA plugin, e.g. '
            '`pip install -U "jax[cuda12]"`).'
        )
    elif "jax" in f:
        hit.summary = (
            f"jaxlib {f['jaxlib']} is newer than jax {f['jax']}: each jax release needs its own jaxlib."
        )
        hit.fix = f'`pip install "jax=={f["jaxlib"]}"` (or install jaxlib {f["jax"]}).'
    elif "plugin" in f:
        dist = f["plugin"].replace("_", "-")
        hit.summary = f"{dist} {f['plugin_version']} does not match jaxlib {f['jaxlib']}."
        pjrt = dist.replace("-plugin", "-pjrt")
        hit.fix = f'`pip install "{dist}=={f["jaxlib"]}" "{pjrt}=={f["jaxlib"]}"`.'
    jax, lib = version_of(env, "jax"), version_of(env, "jaxlib")
    if jax and lib:
        a, b = parse_version(jax), parse_version(lib)
        if a is not None and b is not None and a.release[:3] != b.release[:3]:
            confirm(hit, CONFIRM, f"jax {jax} with jaxlib {lib} is installed")
        else:
            confirm(
                hit, -0.1, f"jax {jax} and jaxlib {lib} match here: the failing process uses other copies"
            )


def toolkit_mismatch(hit: Hit, text: str, env: Environment | None) -> None:
    toolkit, torch_cuda = hit.facts.get("toolkit", ""), hit.facts.get("torch", "")
    if not toolkit:  # apex names torch's CUDA only
        toolkit = env.toolkit.nvcc_version if env is not None and env.toolkit.nvcc_version else "another"
        hit.facts["toolkit"] = toolkit
    t, c = major_minor(toolkit), major_minor(torch_cuda)
    major = bool(t and c and t[0] != c[0])
    line = line_at(text, hit.position)
    if "Pytorch binaries" in line or "Pytorch binaries" in text[hit.position : hit.position + 400]:
        hit.summary = (
            f"NVIDIA apex refuses to build: the CUDA toolkit ({toolkit}) is not the CUDA {torch_cuda} "
            "torch was built with."
        )
    elif "Installed CUDA version" in line:
        hit.summary = (
            f"DeepSpeed's op builder refuses to compile: the CUDA toolkit ({toolkit}) is not the CUDA "
            f"{torch_cuda} torch was built with."
        )
    elif "minor version mismatch" in line:
        hit.confidence = 0.6
        hit.summary = (
            f"The CUDA toolkit ({toolkit}) differs from torch's CUDA ({torch_cuda}) in the minor "
            "version only: torch.utils.cpp_extension warns and builds."
        )
    elif major:
        hit.summary = (
            f"The CUDA toolkit that compiles the extension ({toolkit}) is not the CUDA torch was "
            f"built with ({torch_cuda}); torch.utils.cpp_extension refuses a different major."
        )
    else:
        hit.summary = (
            f"The CUDA toolkit that compiles the extension ({toolkit}) is not the CUDA {torch_cuda} "
            "torch was built with; this torch's cpp_extension refuses any difference."
        )
    hit.fix = (
        f"Point CUDA_HOME at a CUDA {torch_cuda} toolkit (e.g. `conda install -c nvidia "
        f'"cuda-toolkit={torch_cuda}"`, then `export CUDA_HOME=$CONDA_PREFIX`) before building, or install '
        f"the torch build for CUDA {toolkit} (https://pytorch.org/get-started/locally/)."
    )
    if env is None:
        return
    nvcc = env.toolkit.nvcc_version
    cuda = _torch_cuda(env)
    if nvcc and cuda and major_minor(nvcc) != major_minor(cuda):
        where = env.toolkit.cuda_home or "CUDA_HOME"
        confirm(hit, CONFIRM, f"nvcc {nvcc} ({where}) beside torch built for CUDA {cuda}")


def min_capability(hit: Hit, text: str, env: Environment | None) -> None:
    cc, minimum, maximum = hit.facts.get("cc", ""), hit.facts.get("min"), hit.facts.get("max")
    gpu = f"GPU {hit.facts.get('index', '?')} ({hit.facts.get('name', '?')})"
    if maximum and (c := major_minor(cc)) and (top := major_minor(maximum)) and c > top:
        hit.summary = (
            f"{gpu} has compute capability {cc}, newer than this torch build supports "
            f"({minimum} to {maximum})."
        )
        hit.fix = (
            "Install a torch build for a newer CUDA that includes this GPU's architecture "
            "(https://pytorch.org/get-started/locally/)."
        )
    elif minimum:
        hit.summary = (
            f"GPU {hit.facts.get('index', '?')} ({hit.facts.get('name', '?')}) has compute capability "
            f"{cc}, below {minimum}, the oldest this torch build supports."
        )
    if env is not None and any(g.compute_capability == cc for g in env.nvidia.gpus):
        confirm(hit, CONFIRM, f"a GPU of compute capability {cc} is installed here")


def pickled_path(hit: Hit, text: str, env: Environment | None) -> None:
    cls = hit.facts.get("cls", "PosixPath")
    made, here, alias = (
        ("Linux/macOS", "Windows", "pathlib.PosixPath = pathlib.WindowsPath")
        if cls == "PosixPath"
        else ("Windows", "Linux/macOS", "pathlib.WindowsPath = pathlib.PosixPath")
    )
    hit.summary = (
        f"The file being unpickled (a checkpoint, a fastai learner, a pickled store) holds a "
        f"pathlib.{cls} made on {made}; on {here} pathlib cannot create that class."
    )
    hit.fix = (
        f"Around the load only: `import pathlib; saved = pathlib.{cls}; {alias}`, load, then restore "
        f"`pathlib.{cls} = saved`; re-save the object with plain `str` paths so it loads anywhere."
    )
    system = env.platform.system if env is not None else None
    if system:
        on_windows = system == "Windows"
        if on_windows == (cls == "PosixPath"):
            confirm(hit, 0.05, f"this machine runs {system}")


ANALYSERS: dict[str, Callable[[Hit, str, Environment | None], None]] = {
    "numpy_api": numpy_api,
    "cuda_runtime_code": cuda_runtime_code,
    "ptx_toolchain": ptx_toolchain,
    "protobuf": protobuf,
    "jaxlib": jaxlib,
    "toolkit_mismatch": toolkit_mismatch,
    "min_capability": min_capability,
    "pickled_path": pickled_path,
}
