"""CUDA toolkit, NVIDIA driver and GPU-architecture facts (``matrices/cuda.toml``, ``gpus.toml``).

The queries every driver / architecture check asks:

* :func:`driver_floor` - the oldest driver that runs *any* program built with a CUDA
  major (minor-version compatibility, "MVC"; CUDA 10.x has none, so its floor is the
  toolkit's own minimum);
* :func:`toolkit_min_driver` - the driver a toolkit release needs for its full feature set;
* :func:`max_cuda_for_driver` - the newest CUDA a driver runs;
* :func:`arch_supported` - whether a build's SASS / PTX targets cover a GPU;
* :func:`gpu_family`, :func:`cc_for_gpu_name` - what a compute capability or GPU name is.

Driver versions compare as integer tuples (``570.124.06`` -> ``(570, 124, 6)``), never as floats.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from packaging.version import Version

from compataudit.compat._rows import RowReader, read_rows
from compataudit.compat.matrices import Matrices
from compataudit.versions import driver_tuple, numeric_prefix

Cc = tuple[int, int]


class ToolkitRelease(NamedTuple):
    version: Version  # 12.4.1
    label: str  # "CUDA 12.4 Update 1"
    linux: str | None  # minimum driver; None: N/A
    windows: str | None
    sources: tuple[str, ...]


class MvcFloor(NamedTuple):
    cuda_major: int
    linux: str | None
    windows: str | None
    sources: tuple[str, ...]


class CudnnSupport(NamedTuple):
    cudnn: str
    cuda: str  # specifier over toolkit versions: ">=12.0,<12.4"
    cc_min: str | None
    cc_max: str | None
    linux: str | None
    sources: tuple[str, ...]


class CudaView(NamedTuple):
    toolkits: tuple[ToolkitRelease, ...]  # oldest first
    mvc: dict[int, MvcFloor]
    cudnn: tuple[CudnnSupport, ...]
    unsuffixed_wheels: frozenset[str]  # CUDA 13 nvidia-* wheels without a -cuNN suffix
    library_versioned_wheels: frozenset[str]  # of those, numbered on their own (cufft 12.x on CUDA 13)
    wheel_naming_sources: tuple[str, ...]


class GpuName(NamedTuple):
    pattern: re.Pattern[str]
    cc: str
    sources: tuple[str, ...]


class GpuView(NamedTuple):
    families: dict[Cc, str]
    family_sources: dict[Cc, tuple[str, ...]]
    names: tuple[GpuName, ...]


class DriverRequirement(NamedTuple):
    """What a CUDA version asks of the driver, with the rows that say so."""

    cuda: str
    floor: str | None  # MVC floor of the major (toolkit minimum for CUDA 10.x)
    toolkit_min: str | None  # the release's own minimum
    toolkit_label: str | None
    sources: tuple[str, ...]


# --------------------------------------------------------------------------- views

_CC_TEXT = 'a compute capability such as "8.6"'


def _driver(r: RowReader, key: str) -> str | None:
    value = r.text(key, what='a driver version such as "570.124.06"')
    if value is not None and driver_tuple(value) is None:
        raise r.fail(key, 'a driver version such as "570.124.06"')
    return value


def _cc(r: RowReader, key: str, *, required: bool = True) -> str | None:
    value = r.text(key, required=required, what=_CC_TEXT)
    if value is not None and parse_cc(value) is None:
        raise r.fail(key, _CC_TEXT)
    return value


def _toolkit(r: RowReader) -> ToolkitRelease:
    version = numeric_prefix(r.required("version", what="a version X.Y.Z"))
    if version is None or len(version.release) != 3:
        raise r.fail("version", "a version X.Y.Z")
    return ToolkitRelease(
        version=version,
        label=r.required("label"),
        linux=_driver(r, "linux"),
        windows=_driver(r, "windows"),
        sources=r.sources(),
    )


def _mvc(r: RowReader) -> MvcFloor:
    major = r.number("cuda_major")
    if major is None:
        raise r.fail("cuda_major", "an integer")
    return MvcFloor(major, _driver(r, "linux"), _driver(r, "windows"), r.sources())


def _cudnn(r: RowReader) -> CudnnSupport:
    return CudnnSupport(
        cudnn=str(r.version("cudnn", required=True)),
        cuda=str(r.spec("cuda", required=True)),
        cc_min=_cc(r, "cc_min", required=False),
        cc_max=_cc(r, "cc_max", required=False),
        linux=_driver(r, "linux"),
        sources=r.sources(),
    )


def cuda_view(matrices: Matrices) -> CudaView:
    """The validated contents of ``cuda.toml`` (built once per ``Matrices``)."""
    cached = matrices.views.get("cuda")
    if isinstance(cached, CudaView):
        return cached
    unsuffixed: set[str] = set()
    own_numbers: set[str] = set()
    naming_sources: list[str] = []
    for r in read_rows(matrices, "cuda", "wheel_naming"):
        if "unsuffixed" not in r.row:
            raise r.fail("unsuffixed", "a list of names")
        unsuffixed.update(r.texts("unsuffixed", what="a list of names"))
        if "library_versioned" in r.row:
            own_numbers.update(r.texts("library_versioned", what="a list of names"))
        naming_sources.extend(r.sources())
    view = CudaView(
        toolkits=tuple(
            sorted(map(_toolkit, read_rows(matrices, "cuda", "toolkit")), key=lambda t: t.version)
        ),
        mvc={floor.cuda_major: floor for floor in map(_mvc, read_rows(matrices, "cuda", "mvc"))},
        cudnn=tuple(map(_cudnn, read_rows(matrices, "cuda", "cudnn"))),
        unsuffixed_wheels=frozenset(unsuffixed),
        library_versioned_wheels=frozenset(own_numbers),
        wheel_naming_sources=tuple(dict.fromkeys(naming_sources)),
    )
    matrices.views["cuda"] = view
    return view


def _gpu_name(r: RowReader) -> GpuName:
    cc = str(_cc(r, "cc"))
    try:
        pattern = re.compile(r.required("pattern", what="a regular expression"), re.IGNORECASE)
    except re.error as exc:
        raise r.fail("pattern", f"a regular expression ({exc})") from None
    return GpuName(pattern, cc, r.sources())


def gpu_view(matrices: Matrices) -> GpuView:
    """The validated contents of ``gpus.toml`` (built once per ``Matrices``)."""
    cached = matrices.views.get("gpus")
    if isinstance(cached, GpuView):
        return cached
    families: dict[Cc, str] = {}
    family_sources: dict[Cc, tuple[str, ...]] = {}
    for r in read_rows(matrices, "gpus", "family"):
        cc = parse_cc(_cc(r, "cc"))
        assert cc is not None  # _cc() raised otherwise
        families[cc] = r.required("family")
        family_sources[cc] = r.sources()
    names = tuple(map(_gpu_name, read_rows(matrices, "gpus", "gpu")))
    view = GpuView(families, family_sources, names)
    matrices.views["gpus"] = view
    return view


# --------------------------------------------------------------------------- drivers


def _system_key(system: str) -> str | None:
    lowered = (system or "Linux").strip().lower()
    if lowered == "linux":
        return "linux"
    if lowered in ("windows", "win32", "cygwin"):
        return "windows"
    return None  # macOS and others: no NVIDIA CUDA driver


def _release_for(view: CudaView, cuda: str) -> ToolkitRelease | None:
    """``12.4`` -> the 12.4 GA row; ``12.4.1`` -> that update (else the nearest earlier one)."""
    version = numeric_prefix(cuda)
    if version is None:
        return None
    release = version.release
    same_minor = [t for t in view.toolkits if t.version.release[:2] == (*release, 0)[:2]]
    if not same_minor:
        return None
    if len(release) < 3:
        return same_minor[0]
    earlier = [t for t in same_minor if t.version.release <= release[:3]]
    return earlier[-1] if earlier else same_minor[0]


def _field(obj: ToolkitRelease | MvcFloor, key: str | None) -> str | None:
    if key == "linux":
        return obj.linux
    if key == "windows":
        return obj.windows
    return None


def toolkit_min_driver(matrices: Matrices, cuda: str, system: str = "Linux") -> str | None:
    """The driver a toolkit release needs for its full feature set (Table 3).

    ``"12.4"`` means 12.4 GA (``"550.54.14"``); ``"12.4.1"`` means 12.4 Update 1. None when
    the release, or its driver on ``system``, is unknown (CUDA 13 on Windows reads N/A).
    """
    release = _release_for(cuda_view(matrices), cuda)
    return _field(release, _system_key(system)) if release else None


def driver_floor(matrices: Matrices, cuda: str, system: str = "Linux") -> str | None:
    """The oldest driver that runs programs built with ``cuda`` through minor-version compatibility.

    CUDA 11/12/13: the family floor (``450.80.02`` / ``525.60.13`` / ``580.65.06`` on Linux).
    CUDA 10.x has no MVC, so this is the 10.x release's own minimum. None when unknown.
    """
    view = cuda_view(matrices)
    version = numeric_prefix(cuda)
    if version is None:
        return None
    floor = view.mvc.get(version.release[0])
    if floor is not None:
        return _field(floor, _system_key(system))
    return toolkit_min_driver(matrices, cuda, system)


def driver_requirement(matrices: Matrices, cuda: str, system: str = "Linux") -> DriverRequirement:
    """Floor and toolkit minimum of ``cuda`` together, with the matrix rows' sources."""
    view = cuda_view(matrices)
    version = numeric_prefix(cuda)
    sources: list[str] = []
    if version is not None and version.release[0] in view.mvc:
        sources.extend(view.mvc[version.release[0]].sources)
    release = _release_for(view, cuda)
    if release is not None:
        sources.extend(release.sources)
    return DriverRequirement(
        cuda=cuda,
        floor=driver_floor(matrices, cuda, system),
        toolkit_min=toolkit_min_driver(matrices, cuda, system),
        toolkit_label=release.label if release else None,
        sources=tuple(dict.fromkeys(sources)),
    )


def max_cuda_for_driver(
    matrices: Matrices, driver: str, system: str = "Linux", *, through_mvc: bool = True
) -> str | None:
    """The newest CUDA ``major.minor`` (of the releases we know) that ``driver`` runs.

    A release counts when the driver meets its own minimum or - with ``through_mvc`` -
    its major's MVC floor. So 535.x -> the newest known 12.x ("12.9"); 470.82.01 -> "11.8";
    450.51.05 (below the 11.x floor, at 11.0 GA's own minimum) -> "11.0"; 440.33 -> "10.2".
    With ``through_mvc=False`` only full-feature support counts (535.54.03 -> "12.2").
    None for an unreadable driver string or an unknown system.
    """
    have = driver_tuple(driver)
    key = _system_key(system)
    if have is None or key is None:
        return None
    view = cuda_view(matrices)
    for release in reversed(view.toolkits):
        own = driver_tuple(_field(release, key))
        mvc = view.mvc.get(release.version.release[0])
        floor = driver_tuple(_field(mvc, key)) if (mvc is not None and through_mvc) else None
        if (own is not None and have >= own) or (floor is not None and have >= floor):
            major, minor = release.version.release[:2]
            return f"{major}.{minor}"
    return None


# --------------------------------------------------------------------------- architectures

_CC_RE = re.compile(r"^\s*(\d+)\.(\d+)\s*$")
_TARGET_RE = re.compile(r"^(sm|compute)_(\d+)([af]?)$")
_DOTTED_RE = re.compile(r"^(\d+)\.(\d+)([af]?)(\+ptx)?$")


def parse_cc(text: str | None) -> Cc | None:
    """``"8.6"`` -> ``(8, 6)``; ``"sm_86"`` -> ``(8, 6)``; anything else -> None."""
    if not text:
        return None
    match = _CC_RE.match(text)
    if match:
        return int(match.group(1)), int(match.group(2))
    target = _TARGET_RE.match(text.strip().lower())
    if target:
        number = int(target.group(2))
        return number // 10, number % 10
    return None


class _Target(NamedTuple):
    cc: Cc
    ptx: bool
    suffix: str  # "" | "a" (this exact GPU only) | "f" (family: same major, minor >=)


def _targets(arch: str) -> list[_Target]:
    text = arch.strip().lower()
    match = _TARGET_RE.match(text)
    if match:
        number = int(match.group(2))
        return [_Target((number // 10, number % 10), match.group(1) == "compute", match.group(3))]
    dotted = _DOTTED_RE.match(text)
    if dotted:
        cc = (int(dotted.group(1)), int(dotted.group(2)))
        out = [_Target(cc, False, dotted.group(3))]
        if dotted.group(4):  # "9.0+PTX": SASS and PTX for 9.0
            out.append(_Target(cc, True, ""))
        return out
    return []


def arch_supported(gpu_cc: str, archs: tuple[str, ...]) -> str:
    """How a build's targets serve a GPU: ``"sass"``, ``"ptx"`` or ``"none"``.

    SASS ``sm_XY`` runs on the same major at minor >= Y (``sm_80`` serves 8.6 and 8.9, not
    9.0); arch-specific ``sm_90a`` only on exactly 9.0. PTX ``compute_XY`` is JIT-compiled
    for any GPU of cc >= X.Y. Accepts ``sm_80`` / ``compute_90`` and ``8.0`` / ``9.0+PTX``;
    unknown spellings are ignored. Callers skip GPUs whose cc they cannot parse
    (``parse_cc``); an unparsable ``gpu_cc`` gives ``"none"``.
    """
    cc = parse_cc(gpu_cc)
    if cc is None:
        return "none"
    targets = [t for arch in archs for t in _targets(arch)]
    for t in targets:
        if t.ptx:
            continue
        if t.suffix == "a" and t.cc == cc:
            return "sass"
        if t.suffix != "a" and t.cc[0] == cc[0] and cc[1] >= t.cc[1]:
            return "sass"
    if any(t.ptx and t.cc <= cc for t in targets):
        return "ptx"
    return "none"


def gpu_family(matrices: Matrices, cc: str) -> str | None:
    """``"8.6"`` -> ``"Ampere"``; None for an unknown or unreadable compute capability."""
    parsed = parse_cc(cc)
    return gpu_view(matrices).families.get(parsed) if parsed else None


def cc_for_gpu_name(matrices: Matrices, name: str) -> str | None:
    """The compute capability of a GPU by the name the driver reports, or None.

    ``"NVIDIA A100-SXM4-80GB"`` -> ``"8.0"``; ``"NVIDIA GeForce RTX 4090"`` -> ``"8.9"``.
    The longest matching pattern wins, so ``GeForce GTX TITAN X`` (Maxwell) beats ``TITAN X``.
    """
    if not name:
        return None
    best: tuple[int, str] | None = None
    for entry in gpu_view(matrices).names:
        match = entry.pattern.search(name)
        if match and (best is None or len(match.group(0)) > best[0]):
            best = (len(match.group(0)), entry.cc)
    return best[1] if best else None
