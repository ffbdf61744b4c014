"""The plain values every part of compataudit passes around.

Probes produce an :class:`Environment` (the snapshot); checks turn it into
:class:`Finding` values; the smoke runner adds :class:`SmokeResult` values; a
:class:`Report` holds all of it and is what every output format renders.

Everything here is a frozen dataclass that round-trips through JSON with
:func:`to_jsonable` and :func:`from_jsonable`, so a snapshot written on one
machine can be audited on another.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from compataudit.distributions import canonical_name

SNAPSHOT_SCHEMA_VERSION = 1
REPORT_SCHEMA_VERSION = 1


class Severity(str, enum.Enum):
    """How bad a finding is. Ordered: ``ERROR > WARNING > INFO``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class FailOn(str, enum.Enum):
    """``--fail-on`` / ``fail-on``: exit 1 for a finding at or above this level; never: never."""

    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


FAIL_ON_LEVELS = tuple(level.value for level in FailOn)


def reaches(severity: Severity, fail_on: str) -> bool:
    """Whether a finding of ``severity`` fails a run under ``--fail-on fail_on``."""
    return fail_on != "never" and severity.rank >= Severity(fail_on).rank


class ProbeStatus(str, enum.Enum):
    """What a probe managed to find out."""

    OK = "ok"
    ABSENT = "absent"  # the thing is not there (no driver, no nvcc): a normal answer
    ERROR = "error"  # it is there but answering failed (garbage output, library error)
    TIMEOUT = "timeout"  # it did not answer in time
    SKIPPED = "skipped"  # not probed (what-if mode, --no-probe)


class SmokeStatus(str, enum.Enum):
    """Outcome of one smoke kernel run."""

    PASS = "pass"
    FAIL = "fail"  # ran, wrong numbers
    ERROR = "error"  # raised (import failure, CUDA error, ...)
    TIMEOUT = "timeout"  # hung past --smoke-timeout
    CRASH = "crash"  # killed by a signal (segfault, abort)
    SKIP = "skip"  # not run (framework absent, dtype unsupported on device)

    @property
    def failed(self) -> bool:
        return self in (SmokeStatus.FAIL, SmokeStatus.ERROR, SmokeStatus.TIMEOUT, SmokeStatus.CRASH)


@dataclass(frozen=True)
class ProbeAttempt:
    """One way of asking a question (``nvml``, ``nvidia-smi``, ``libcuda``...) and its outcome."""

    source: str
    status: ProbeStatus
    detail: str | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class PythonInfo:
    version: str  # "3.11.7"
    implementation: str = "CPython"
    executable: str | None = None
    prefix: str | None = None
    env_kind: str | None = None  # "venv" | "conda" | "system" | None when unknown
    # what manages it: "pip" | "uv" | "uv-project" | "poetry" | "conda" | "mamba" (fixes speak it)
    installer: str | None = None
    bits: int | None = 64


@dataclass(frozen=True)
class PlatformInfo:
    system: str  # platform.system(): "Linux", "Darwin", "Windows"
    machine: str  # "x86_64", "aarch64", "arm64", "AMD64"
    release: str | None = None
    os_name: str | None = None  # "Debian GNU/Linux 12 (bookworm)"
    libc: str | None = None  # "glibc 2.36"
    cpu_count: int | None = None
    hostname: str | None = None


@dataclass(frozen=True)
class Package:
    """One installed (or pinned) distribution, read from its metadata."""

    name: str  # canonical (PEP 503) name: "tensorflow-cpu"
    version: str  # the raw version string, "" when the metadata has none
    location: str | None = None  # the site-packages directory holding it
    requires: tuple[str, ...] = ()  # raw Requires-Dist lines
    requires_python: str | None = None
    modules: tuple[str, ...] = ()  # top-level import names it installs, where known
    problem: str | None = None  # why this install looks broken, if it does
    pinned: bool = False  # came from --pin / -r, not from this machine
    pinned_at: str | None = None  # "FILE:LINE" of the -r file that pins it
    channel: str | None = None  # conda channel ("conda-forge", "pytorch") for conda packages
    requested: str | None = None  # the -r requirement as written ("torch>=2.4,<2.6"), when resolved
    # Other metadata directories of this distribution in the same location
    # ("torch-2.4.0.dist-info" beside the 2.5.1 in use): a half-finished uninstall.
    duplicates: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildInfo:
    """What a framework was *built* for, read from the files its wheel ships."""

    framework: str  # "torch", "tensorflow", "jaxlib", "torchvision", ...
    distribution: str  # the distribution that shipped it: "tensorflow-cpu"
    version: str | None = None
    cuda: str | None = None  # CUDA major.minor[.patch] it was compiled with; None = not a CUDA build
    cudnn: str | None = None
    hip: str | None = None
    archs: tuple[str, ...] = ()  # "sm_80", "compute_90"
    is_cuda_build: bool | None = None
    git_version: str | None = None
    source: str | None = None  # the file this came from, or "matrix"/"pin" for what-if values
    status: ProbeStatus = ProbeStatus.OK
    detail: str | None = None


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    uuid: str | None = None
    compute_capability: str | None = None  # "8.6"
    memory_total_mib: int | None = None
    mig_mode: str | None = None  # "enabled" | "disabled" | None when not applicable
    pci_bus_id: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class NvidiaInfo:
    """The NVIDIA driver and GPUs, from NVML, then nvidia-smi, then libcuda."""

    status: ProbeStatus
    source: str | None = None  # which attempt answered
    driver_version: str | None = None  # "550.54.14"
    cuda_driver_version: str | None = None  # the newest CUDA the driver supports: "12.4"
    gpus: tuple[Gpu, ...] = ()
    attempts: tuple[ProbeAttempt, ...] = ()
    visible_devices: str | None = None  # CUDA_VISIBLE_DEVICES as set, None when unset


@dataclass(frozen=True)
class ToolkitInfo:
    """The system CUDA toolkit and cuDNN (not the ones pip wheels bring)."""

    status: ProbeStatus
    nvcc_version: str | None = None  # "13.0.88"
    nvcc_path: str | None = None
    cuda_home: str | None = None
    cudnn_version: str | None = None  # "9.3.0"
    cudnn_source: str | None = None
    attempts: tuple[ProbeAttempt, ...] = ()


@dataclass(frozen=True)
class ExtensionObject:
    """A compiled object of an installed distribution that links a framework's or CUDA's
    libraries, read from its ELF dynamic section without loading it."""

    distribution: str  # canonical name: "torchvision"
    version: str
    path: str  # relative to the distribution's location: "torchvision/_C.so"
    links: tuple[str, ...] = ()  # the framework and CUDA sonames among its DT_NEEDED
    unresolved: tuple[str, ...] = ()  # DT_NEEDED sonames the dynamic loader would not find
    framework: str | None = None  # whose exports its imports were checked against: "torch 2.13.0"
    missing_symbols: tuple[str, ...] = ()  # mangled torch/c10 imports no torch library exports (<= 20)
    missing_count: int = 0  # all of them
    python_module: bool = False  # exports PyInit_*: loaded by `import`, not on demand
    status: ProbeStatus = ProbeStatus.OK
    detail: str | None = None


@dataclass(frozen=True)
class AuditTarget:
    """The Python environment an audit read, when it is not the one compataudit runs in."""

    path: str  # the prefix (venv, conda) or interpreter named
    kind: str  # "venv" | "conda" | "interpreter"
    selected_by: str  # "--env" | "VIRTUAL_ENV" | "CONDA_PREFIX"
    python: str | None = None  # its interpreter, when one was found


@dataclass(frozen=True)
class StackSource:
    """Which environment a ``-r`` audit describes: the one its files build."""

    files: tuple[str, ...]
    # "image" (a Dockerfile), "lock" (a lock file or conda environment: stands alone),
    # "fresh" (a requirements file or pyproject.toml in a new environment),
    # "layered" (installed into the current or --env environment: --onto-current)
    mode: str
    onto: str | None = None  # layered: the environment's path
    changed: tuple[str, ...] = ()  # layered: what the installer would replace ("keras 3.15.1 -> 2.12.0")
    skipped: tuple[str, ...] = ()  # requirements nothing could be audited from, with why


@dataclass(frozen=True)
class Environment:
    """Everything compataudit knows about one machine: the snapshot."""

    python: PythonInfo
    platform: PlatformInfo
    packages: tuple[Package, ...] = ()
    nvidia: NvidiaInfo = field(default_factory=lambda: NvidiaInfo(status=ProbeStatus.SKIPPED))
    toolkit: ToolkitInfo = field(default_factory=lambda: ToolkitInfo(status=ProbeStatus.SKIPPED))
    builds: tuple[BuildInfo, ...] = ()
    env_vars: tuple[tuple[str, str], ...] = ()  # the few variables that change framework behaviour
    origin: str = "probe"  # "probe" | "snapshot" | "what-if"
    created_at: str | None = None
    target: AuditTarget | None = None  # which environment was audited, when not the running one
    notes: tuple[str, ...] = ()  # what the inputs said that the user should know (unpinned lines, ...)
    stack: StackSource | None = None  # -r: the environment the files build
    extensions: tuple[ExtensionObject, ...] = ()  # compiled extensions read statically (ELF)
    schema_version: int = SNAPSHOT_SCHEMA_VERSION

    def package(self, name: str) -> Package | None:
        """The installed distribution called ``name`` (any spelling), or None."""
        wanted = canonical_name(name)
        for pkg in self.packages:
            if pkg.name == wanted:
                return pkg
        return None

    def build(self, framework: str) -> BuildInfo | None:
        for info in self.builds:
            if info.framework == framework:
                return info
        return None

    def env_var(self, name: str) -> str | None:
        for key, value in self.env_vars:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Finding:
    """One problem (or fact worth knowing) about the audited environment."""

    code: str
    severity: Severity
    title: str
    detail: str = ""
    components: tuple[str, ...] = ()
    fix: str | None = None
    sources: tuple[str, ...] = ()
    area: str = ""  # the check area that produced it ("packages", "torch", ...)


@dataclass(frozen=True)
class SmokeResult:
    """One (framework, device, dtype) smoke kernel run."""

    framework: str
    device: str  # "cpu", "cuda:0", "mps", "gpu:0"
    status: SmokeStatus
    dtype: str = "float32"
    forward_ms: float | None = None
    backward_ms: float | None = None
    max_rel_error: float | None = None
    detail: str | None = None
    device_name: str | None = None
    framework_version: str | None = None
    runtime: tuple[tuple[str, str], ...] = ()  # what the framework reports: cuda, cudnn, backend


@dataclass(frozen=True)
class Summary:
    errors: int
    warnings: int
    infos: int
    smoke_failed: int
    exit_code: int


@dataclass(frozen=True)
class Report:
    environment: Environment
    findings: tuple[Finding, ...]
    smoke: tuple[SmokeResult, ...]
    summary: Summary
    tool_version: str
    schema_version: int = REPORT_SCHEMA_VERSION
    data_date: str | None = None  # how current the compatibility data is (YYYY-MM-DD)
    newer_than_data: tuple[str, ...] = ()  # installed releases the data cannot know: "numpy 2.5.0"


# --------------------------------------------------------------------------- JSON

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    """Turn a model value into plain JSON types (dicts, lists, str, numbers)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, Environment):
            return _environment_to_json(value)
        if isinstance(value, SmokeResult):
            data = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
            data["runtime"] = dict(value.runtime)
            return data
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def _environment_to_json(env: Environment) -> dict[str, Any]:
    data = {f.name: to_jsonable(getattr(env, f.name)) for f in dataclasses.fields(env)}
    data["env_vars"] = dict(env.env_vars)
    # The report contract (DESIGN.md) keys build facts by framework: builds["torch"].
    data["builds"] = {b.framework: to_jsonable(b) for b in env.builds}
    return data


class ModelError(ValueError):
    """Raised by :func:`from_jsonable` when the data does not fit the model."""


_HINTS: dict[type, dict[str, Any]] = {}


def from_jsonable(cls: type[T], data: Any, path: str = "$") -> T:
    """Build ``cls`` from JSON data, checking types; raises :class:`ModelError` naming the path."""
    return typing.cast(T, _convert(cls, data, path))


def _convert(tp: Any, data: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, data, path)
            except ModelError as exc:
                errors.append(str(exc))
        raise ModelError(errors[0] if errors else f"{path}: unexpected null")
    if origin is tuple:
        args = typing.get_args(tp)
        if isinstance(data, Mapping) and args == (tuple[str, str], ...):
            data = list(data.items())  # env_vars / runtime are written as objects
        elif isinstance(data, Mapping) and args and dataclasses.is_dataclass(args[0]):
            data = list(data.values())  # builds are written keyed by framework
        if not isinstance(data, (list, tuple)):
            raise ModelError(f"{path}: expected a list, got {type(data).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], item, f"{path}[{i}]") for i, item in enumerate(data))
        if len(args) != len(data):
            raise ModelError(f"{path}: expected {len(args)} items, got {len(data)}")
        pairs = enumerate(zip(args, data, strict=True))
        return tuple(_convert(a, item, f"{path}[{i}]") for i, (a, item) in pairs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            choices = ", ".join(str(m.value) for m in tp)
            raise ModelError(f"{path}: {data!r} is not one of {choices}") from None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, Mapping):
            raise ModelError(f"{path}: expected an object, got {type(data).__name__}")
        hints = _HINTS.get(tp)
        if hints is None:
            hints = _HINTS[tp] = typing.get_type_hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _convert(hints[f.name], data[f.name], f"{path}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ModelError(f"{path}: missing required field {f.name!r}")
        return tp(**kwargs)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise ModelError(f"{path}: expected a number, got {type(data).__name__}")
        return float(data)
    if tp is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise ModelError(f"{path}: expected an integer, got {type(data).__name__}")
        return data
    if tp in (str, bool):
        if not isinstance(data, tp):
            raise ModelError(f"{path}: expected {tp.__name__}, got {type(data).__name__}")
        return data
    raise ModelError(f"{path}: cannot read a value of type {tp!r}")  # pragma: no cover
