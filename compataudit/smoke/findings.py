"""Turn failed smoke runs into findings whose fix uses what the static audit knows.

A kernel that fails says *that* the stack is broken; the static audit often
already knows *why* (a CPU-only build, a driver too old for the build's CUDA, a
GPU architecture missing from the build). The smoke finding points at that fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from compataudit.distributions import JAX_FAMILY, KERAS, TENSORFLOW
from compataudit.model import Environment, Finding, ProbeStatus, Severity, SmokeResult, SmokeStatus
from compataudit.rules import finding
from compataudit.smoke.runner import ALL, framework_distribution

STATUS_CODES = {
    SmokeStatus.FAIL: "SMK001",
    SmokeStatus.ERROR: "SMK002",
    SmokeStatus.CRASH: "SMK003",
    SmokeStatus.TIMEOUT: "SMK004",
}

# Static findings that explain a failing kernel, most telling first.
CAUSE_CODES = (
    "DRV001",  # driver too old for the build's CUDA
    "ARC001",  # GPU architecture not in the build
    "DRV004",  # CPU-only build on a GPU machine
    "DRV003",  # CUDA build, no driver
    "TCH003",
    "NVW001",
    "NVW002",
    "CDN001",
    "JAX001",
    "JAX002",
    "KER006",
    "KER004",
    "KER003",
    "PKG003",
    "PKG004",
    "PKG001",
    "PKG002",
    "NPY001",
    "DEP001",
    "DEP002",
    "NVW003",
    "DRV002",
    "ARC002",
    "CDN002",
)
# Causes that only matter for work on a GPU (or before any device was reached).
GPU_ONLY_CODES = frozenset({"DRV001", "DRV002", "DRV003", "ARC001", "ARC002", "CDN001", "CDN002"})

FRAMEWORK_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "torch": ("torch",),
    "tensorflow": TENSORFLOW,
    "keras": KERAS,
    "jax": JAX_FAMILY,
}
IMPORT_NAMES = {"torch": "torch", "tensorflow": "tensorflow", "keras": "keras", "jax": "jax"}


def smoke_findings(
    results: Sequence[SmokeResult], env: Environment, static_findings: Sequence[Finding]
) -> list[Finding]:
    """One finding per failed (framework, device, dtype), in the order of ``results``."""
    found = []
    for result in results:
        code = STATUS_CODES.get(result.status)
        if code is None:
            continue
        distribution = framework_distribution(env, result.framework) or result.framework
        package = env.package(distribution)
        missing_device = is_missing_device(result)
        cause = explaining_finding(result, static_findings, device_causes_only=missing_device)
        sources: tuple[str, ...] = ()
        if cause is None and missing_device:
            fix = missing_device_fix(result, env, distribution)
        elif cause is not None and cause.fix:
            fix = f"{cause.fix} ({cause.code}: {cause.title})"
            sources = cause.sources
        else:
            fix = default_fix(result, distribution, package.version if package else None)
        found.append(
            finding(
                code,
                _title(result),
                _detail(result),
                components=_components(result, distribution),
                fix=fix,
                sources=sources,
            )
        )
    return found


def is_accelerator(device: str) -> bool:
    return device not in ("cpu", ALL) and not device.startswith("cpu:")


def related_distributions(result: SmokeResult) -> set[str]:
    """The distributions whose static findings can explain this result."""
    names = set(FRAMEWORK_DISTRIBUTIONS.get(result.framework, (result.framework,)))
    if result.framework == "keras":
        backend = dict(result.runtime).get("backend")
        if backend in FRAMEWORK_DISTRIBUTIONS:
            names |= set(FRAMEWORK_DISTRIBUTIONS[backend])
    return names


# The kernels' words for a requested device they do not see (kernels/_common.py).
NO_DEVICE_MARK = "sees no device matching"


def is_missing_device(result: SmokeResult) -> bool:
    """``--device cuda`` asked of a framework that sees no such device."""
    return result.status is SmokeStatus.ERROR and NO_DEVICE_MARK in (result.detail or "")


def _cpu_only(result: SmokeResult, env: Environment, distribution: str) -> bool:
    runtime = dict(result.runtime)
    if runtime.get("cuda") == "none":
        return True
    return _cpu_only_build(env, result.framework, distribution, runtime.get("backend"))


def _cpu_only_build(env: Environment, framework: str, distribution: str, backend: str | None = None) -> bool:
    """Whether the installed ``framework`` can only ever use the CPU, from what is installed."""
    if framework == "keras":  # Keras 3 runs on its backend: CPU-only exactly when that is
        name = backend if backend in ("tensorflow", "jax", "torch") else None
        if name is None:
            return False
        installed = [d for d in FRAMEWORK_DISTRIBUTIONS[name] if env.package(d) is not None]
        return bool(installed) and _cpu_only_build(env, name, installed[0])
    if framework == "jax":  # jaxlib alone is the CPU backend; CUDA comes as a plugin wheel
        plugins = [p for p in env.packages if p.name.startswith(("jax-cuda", "jax-rocm"))]
        jaxlib = env.package("jaxlib")
        return not plugins and not (jaxlib is not None and "cuda" in jaxlib.version)
    if distribution == "tensorflow-cpu":
        return True
    build = env.build(framework)
    if build is not None and build.is_cuda_build is False:
        return True
    package = env.package(distribution)
    return package is not None and package.version.endswith("+cpu")


def missing_device_fix(result: SmokeResult, env: Environment, distribution: str) -> str:
    """What to do about a device the framework does not see, when no static finding says why."""
    package = env.package(distribution)
    label = f"{distribution} {package.version}" if package else distribution
    if _cpu_only(result, env, distribution):
        here = (
            "this machine shows no NVIDIA GPU"
            if not env.nvidia.gpus
            else "a CUDA build is needed to use its GPUs"
        )
        what, target = f"{label} is a CPU-only build", result.framework
        if result.framework == "jax":
            what = (
                f"{label} has no CUDA plugin (jax-cuda12-plugin, jax-cuda13-plugin): it runs on the CPU only"
            )
        elif result.framework == "keras":
            backend = dict(result.runtime).get("backend") or "its backend"
            what, target = f"{label} runs on {backend}, here a CPU-only build", backend
        return (
            f"{what}, so it cannot run on {result.device}, and {here}: "
            f"use --device cpu here, or install a CUDA build of {target} on a machine "
            "with an NVIDIA GPU (`compataudit suggest` there gives the command)."
        )
    if env.nvidia.status is ProbeStatus.ABSENT:
        return (
            f"{label} can use {result.device.split(':')[0]}, but this machine shows no NVIDIA driver "
            "or GPU: use --device cpu here, or run on a machine with an NVIDIA GPU."
        )
    visible = env.nvidia.visible_devices
    hidden = f" CUDA_VISIBLE_DEVICES={visible!r} may hide it." if visible is not None else ""
    return (
        f"{label} supports {result.device.split(':')[0]} but sees no such device: check that "
        f"`nvidia-smi` lists the GPU and that the driver loads.{hidden}"
    )


def explaining_finding(
    result: SmokeResult, static_findings: Sequence[Finding], *, device_causes_only: bool = False
) -> Finding | None:
    """The static finding that best explains a failed result, or None.

    ``device_causes_only``: only findings about the GPU side can explain a missing
    device (an unrelated dependency conflict cannot).
    """
    names = related_distributions(result)
    gpu_relevant = result.device == ALL or is_accelerator(result.device)
    candidates = []
    for f in static_findings:
        if not names.intersection(f.components):
            continue
        if f.code in GPU_ONLY_CODES and not gpu_relevant:
            continue
        if device_causes_only and f.code not in GPU_ONLY_CODES | {"DRV004"}:
            continue
        if f.code in CAUSE_CODES:
            candidates.append((CAUSE_CODES.index(f.code), f))
        elif f.severity is Severity.ERROR:
            candidates.append((len(CAUSE_CODES), f))
    candidates.sort(key=lambda item: (item[0], item[1].code))
    return candidates[0][1] if candidates else None


def default_fix(result: SmokeResult, distribution: str, installed: str | None = None) -> str:
    """What to do when the static audit has no explanation.

    ``installed`` is the distribution's version from its metadata; a local label
    (``+cu124``) only exists on the index the build came from, hence the note.
    """
    module = IMPORT_NAMES.get(result.framework, result.framework)
    public, _, label = (installed or "").partition("+")
    pin = f"=={public}" if public else ""
    reinstall = f"pip install --force-reinstall --no-cache-dir '{distribution}{pin}'"
    if label:
        reinstall += f" (from the index that provides the +{label} build)"
    if result.status is SmokeStatus.FAIL:
        where = (
            ""
            if not is_accelerator(result.device)
            else (
                f"; if only {result.device} is wrong, check the GPU and driver "
                "(`nvidia-smi -q` for ECC and Xid errors)"
            )
        )
        return f"Reinstall the framework in a clean environment: {reinstall}{where}."
    if result.status is SmokeStatus.ERROR:
        return (
            f"Run `python -c 'import {module}'` to see the whole error, "
            f"then fix it or reinstall: {reinstall}."
        )
    if result.status is SmokeStatus.CRASH:
        return (
            f"Reinstall in a clean virtual environment ({reinstall}) and check that "
            "LD_LIBRARY_PATH does not load another copy of CUDA or cuDNN."
        )
    return (
        "Raise --smoke-timeout if this machine is slow; otherwise check `nvidia-smi` and "
        "`dmesg` for a GPU that no longer answers."
    )


def _where(result: SmokeResult) -> str:
    if result.device == ALL:
        return ""
    dtype = f" ({result.dtype})" if result.dtype != ALL else ""
    return f" on {result.device}{dtype}"


def _title(result: SmokeResult) -> str:
    where = _where(result)
    name = result.framework
    if result.status is SmokeStatus.FAIL:
        return f"{name} conv2d computes wrong numbers{where}"
    if result.status is SmokeStatus.CRASH:
        return f"{name} smoke kernel crashed{where}"
    if result.status is SmokeStatus.TIMEOUT:
        return f"{name} smoke kernel hung{where}"
    return f"{name} smoke kernel failed{where}"


def _detail(result: SmokeResult) -> str:
    parts = [result.detail or result.status.value]
    if result.device_name:
        parts.append(f"device: {result.device_name}")
    if result.framework_version:
        parts.append(f"{result.framework} {result.framework_version}")
    runtime = ", ".join(f"{k} {v}" for k, v in result.runtime if k != result.framework)
    if runtime:
        parts.append(runtime)
    return "; ".join(parts)


def _components(result: SmokeResult, distribution: str) -> list[str]:
    components = [distribution]
    if is_accelerator(result.device):
        components.append("gpu")
        if result.device.startswith("cuda"):
            components.append("nvidia-driver")
    return components
