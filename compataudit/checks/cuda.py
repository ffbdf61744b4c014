"""Generic driver and GPU-architecture checks over every framework's resolved build.

Works on :func:`compataudit.compat.builds.resolve_builds`, so torch, TensorFlow and JAX
are judged by the same rules: the driver against the CUDA each build uses (DRV001-003),
a CPU-only build beside a GPU (DRV004), and each GPU against the build's SASS / PTX
targets (ARC001-002). Where a build's target list is unknown, the CUDA it was built with
still sets a ceiling (:mod:`compataudit.compat.arch_ceiling`): no CUDA 12.6 build holds
sm_120 code. Fixes come from the framework's own ``suggest_build`` when it has one.
"""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext, CheckFn
from compataudit.compat import builds
from compataudit.compat.arch_ceiling import ArchFloor, beyond_ceiling, tf_ptx_fails
from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.cuda import (
    arch_supported,
    driver_requirement,
    gpu_view,
    max_cuda_for_driver,
    parse_cc,
)
from compataudit.model import Finding, ProbeStatus
from compataudit.probes.visibility import visible_gpus
from compataudit.rules import finding
from compataudit.versions import driver_tuple

MVC_PAGE = "https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html"

# torch release wheels carry SASS only: +PTX is stripped from the release builds, and every
# PyPI wheel read (2.6 -> 2.15, matrices/recorded/torch_wheels.json) has no compute_XY.
TORCH_NO_PTX = ("https://github.com/pytorch/pytorch/issues/175567",)
# TensorFlow built with a CUDA older than a GPU's architecture does not run there through
# PTX either: its MLIR-generated kernels fail to load (CUDA_ERROR_INVALID_PTX) and XLA emits
# PTX 8.5, which cannot target sm_120 (PTX 8.7 needed) - maintainers' threads below.
TF_PTX_FAILS = (
    "https://github.com/tensorflow/tensorflow/issues/99592",
    "https://github.com/tensorflow/tensorflow/issues/89272",
    "https://github.com/tensorflow/tensorflow/issues/111958",
)


def _label(build: ResolvedBuild) -> str:
    return f"{build.components[0] if build.components else build.framework} {build.version}"


def _dist(build: ResolvedBuild) -> tuple[str, ...]:
    return build.components or (build.framework,)


def _gpu_ccs(ctx: CheckContext) -> tuple[str, ...]:
    ccs = (g.compute_capability for g in visible_gpus(ctx.env))
    return tuple(cc for cc in ccs if cc is not None and parse_cc(cc))


def resolved_builds(ctx: CheckContext) -> list[ResolvedBuild]:
    """Every framework's resolved build, worked out once per run (three checks ask)."""
    cached = ctx.options.get("_resolved_builds")
    if cached is None:
        cached = ctx.options["_resolved_builds"] = tuple(builds.resolve_builds(ctx.env, ctx.matrices))
    return list(cached)


def _suggest(ctx: CheckContext, build: ResolvedBuild, max_cuda: str | None) -> str | None:
    module = builds.framework_module(build.framework)
    if module is None:
        return None
    return module.suggest_build(ctx.env, ctx.matrices, build, max_cuda=max_cuda, gpu_ccs=_gpu_ccs(ctx))


def _suggest_for_driver(
    ctx: CheckContext, build: ResolvedBuild, driver: str
) -> tuple[str | None, str | None]:
    """(command, its CUDA limit): a build the driver runs natively, else one it runs through MVC.

    A build run only through minor-version compatibility draws DRV002 after the cure, so the
    driver's own full-feature limit is tried first.
    """
    system = ctx.env.platform.system or "Linux"
    tried: set[str | None] = set()
    for through_mvc in (False, True):
        limit = max_cuda_for_driver(ctx.matrices, driver, system, through_mvc=through_mvc)
        if limit in tried:
            continue
        tried.add(limit)
        command = _suggest(ctx, build, limit) if limit else None
        if command:
            return command, limit
    return None, max_cuda_for_driver(ctx.matrices, driver, system)


def _driver_findings(ctx: CheckContext, build: ResolvedBuild) -> Iterator[Finding]:
    nvidia = ctx.env.nvidia
    assert build.cuda is not None
    if nvidia.status is ProbeStatus.ABSENT:
        # Probed (or snapshot) and no driver: a what-if run without --driver is SKIPPED, silent.
        cpu = _suggest(ctx, build, None)
        yield finding(
            "DRV003",
            f"{_label(build)} is a CUDA {build.cuda} build but no NVIDIA driver was found",
            f"{_label(build)} was built for CUDA {build.cuda}; NVML, nvidia-smi and libcuda all "
            "report no driver, so it will run on the CPU only.",
            components=(*_dist(build), "nvidia-driver"),
            fix=(
                "Pass the GPU through (docker run --gpus all) or install the NVIDIA driver"
                + (f"; or install the CPU build: {cpu}" if cpu else "")
            ),
            sources=(MVC_PAGE,),
        )
        return
    driver = nvidia.driver_version
    have = driver_tuple(driver)
    if nvidia.status is not ProbeStatus.OK or driver is None or have is None:
        return
    system = ctx.env.platform.system or "Linux"
    need = driver_requirement(ctx.matrices, build.cuda, system)
    floor, full = driver_tuple(need.floor), driver_tuple(need.toolkit_min)
    if full is not None and have >= full:
        return  # the release's own minimum is met (11.0 GA runs on 450.51.05, below the 11.x floor)
    if floor is not None and have < floor:
        max_cuda = max_cuda_for_driver(ctx.matrices, driver, system)
        other, limit = _suggest_for_driver(ctx, build, driver)
        major = build.cuda.split(".")[0]
        # One minimum per finding: the toolkit's own (full features); the MVC floor only
        # when the release's own minimum is unknown.
        target = need.toolkit_min or need.floor
        rule = (
            f"the minimum of {need.toolkit_label or 'CUDA ' + build.cuda} in NVIDIA's release notes"
            if need.toolkit_min
            else f"the CUDA {major}.x minor-version-compatibility floor"
        )
        below = (
            f" Drivers from {need.floor} (the CUDA {major}.x minor-version-compatibility floor) "
            "run it with reduced features (DRV002); below that no"
            if need.toolkit_min and need.toolkit_min != need.floor
            else " Below it no"
        )
        fix = f"Upgrade the NVIDIA driver to >= {target}"
        if other:
            fix += f", or install a build this driver runs (CUDA <= {limit}): {other}"
        elif max_cuda:
            fix += f", or install a {build.framework} build for CUDA {max_cuda} or older"
        yield finding(
            "DRV001",
            f"NVIDIA driver {driver} is too old for {_label(build)} (CUDA {build.cuda} needs >= {target})",
            f"{_label(build)} uses CUDA {build.cuda}, which needs driver >= {target}: {rule}."
            f"{below} CUDA {major}.x program runs on {system}. This driver runs CUDA "
            f"{max_cuda or 'none of the known releases'} at most.",
            components=(*_dist(build), "nvidia-driver"),
            fix=fix,
            sources=need.sources,
        )
    elif full is not None and have < full:
        native = max_cuda_for_driver(ctx.matrices, driver, system, through_mvc=False)
        other = _suggest(ctx, build, native) if native else None
        yield finding(
            "DRV002",
            f"NVIDIA driver {driver} runs {_label(build)} (CUDA {build.cuda}) only through "
            "minor-version compatibility",
            f"{need.toolkit_label or 'CUDA ' + build.cuda} needs driver >= {need.toolkit_min} "
            f"for its full feature set; {driver} is above the CUDA "
            f"{build.cuda.split('.')[0]}.x floor ({need.floor}), so most kernels run but PTX JIT "
            "and newer CUDA features fail "
            "(cudaErrorUnsupportedPtxVersion, cudaErrorCallRequiresNewerDriver).",
            components=(*_dist(build), "nvidia-driver"),
            fix=f"Upgrade the NVIDIA driver to >= {need.toolkit_min}"
            + (f", or install a build it runs in full (CUDA <= {native}): {other}" if other else ""),
            sources=need.sources,
        )


def _gpu_label(gpu_name: str, index: int) -> str:
    # what-if GPUs are already called "GPU 0 (cc 8.6)": do not say "GPU 0" twice
    return gpu_name if gpu_name.startswith(f"GPU {index}") else f"GPU {index} ({gpu_name})"


def _ceiling_cure(ctx: CheckContext, build: ResolvedBuild) -> str | None:
    """A build for the GPU: one the driver runs natively where a driver is known."""
    driver = ctx.env.nvidia.driver_version
    if ctx.env.nvidia.status is ProbeStatus.OK and driver:
        return _suggest_for_driver(ctx, build, driver)[0]
    return _suggest(ctx, build, None)


def _ceiling_findings(ctx: CheckContext, build: ResolvedBuild) -> Iterator[Finding]:
    """An unknown target list: the GPUs the toolkit that made the build could not target.

    JAX's ``cuda`` is the runtime it loads, not the toolkit it was built with: not judged."""
    if build.framework == "jax":
        return
    for gpu in visible_gpus(ctx.env):
        parsed = parse_cc(gpu.compute_capability)
        row = beyond_ceiling(ctx.matrices, build.cuda, gpu.compute_capability)
        if parsed is None or row is None:
            continue
        sm = f"sm_{parsed[0]}{parsed[1]}"
        label = _gpu_label(gpu.name, gpu.index)
        why = (
            f"{_label(build)} was built with CUDA {build.cuda}; {sm} ({row.family}) needs CUDA "
            f"{row.first} or newer, so the build holds no machine code for it (its own "
            "architecture list is not in the data)"
        )
        if _no_usable_ptx(build):
            ptx = (
                "torch release builds ship no PTX"
                if build.framework == "torch"
                else "TensorFlow's PTX path fails on GPUs newer than its CUDA (CUDA_ERROR_INVALID_PTX)"
            )
            yield finding(
                "ARC001",
                f"{_label(build)} has no kernels for {sm} ({label})",
                f"{why}; {ptx}, so the first kernel fails with 'no kernel image is available "
                "for execution on the device'.",
                components=(*_dist(build), "gpu"),
                fix=_ceiling_cure(ctx, build)
                or f"Install a {build.framework} build made with CUDA {row.first} or newer",
                sources=_ceiling_sources(build, row),
            )
        else:
            yield finding(
                "ARC002",
                f"{_label(build)} can run on {label} only through PTX JIT, if it ships PTX",
                f"{why}; only PTX of an older architecture could be JIT-compiled for it.",
                components=(*_dist(build), "gpu"),
                fix=f"Install a build made with CUDA {row.first} or newer",
                sources=row.sources,
            )


def _no_usable_ptx(build: ResolvedBuild) -> bool:
    """Release builds whose PTX cannot serve a GPU beyond their CUDA: torch's release wheels
    ship none; TensorFlow's fails there. A nightly or source build may carry its own PTX."""
    if build.framework == "tensorflow":
        return True
    if build.framework != "torch":
        return False
    from compataudit.compat.torch import is_unofficial

    return not is_unofficial(build.version)


def _ceiling_sources(build: ResolvedBuild, row: ArchFloor) -> tuple[str, ...]:
    extra = TORCH_NO_PTX if build.framework == "torch" else TF_PTX_FAILS
    return (*row.sources, *extra)


def _arch_findings(ctx: CheckContext, build: ResolvedBuild) -> Iterator[Finding]:
    if not build.archs:
        yield from _ceiling_findings(ctx, build)
        return
    families = gpu_view(ctx.matrices).families
    for gpu in visible_gpus(ctx.env):  # a GPU hidden by CUDA_VISIBLE_DEVICES is not used
        cc = gpu.compute_capability
        parsed = parse_cc(cc)
        if cc is None or parsed is None:
            continue
        served = arch_supported(cc, build.archs)
        family = families.get(parsed)
        kind = f", {family}" if family else ""
        label = _gpu_label(gpu.name, gpu.index)
        what = f"{label}, compute capability {cc}{kind}"
        targets = ", ".join(build.archs)
        if served == "none":
            driver = ctx.env.nvidia.driver_version
            ok = ctx.env.nvidia.status is ProbeStatus.OK and driver
            other = _suggest_for_driver(ctx, build, driver)[0] if ok and driver else None
            yield finding(
                "ARC001",
                f"{_label(build)} has no kernels for sm_{parsed[0]}{parsed[1]} ({label})",
                f"{what}: the build targets {targets}; no SASS for this major and no PTX of an "
                "older architecture, so the first kernel fails with 'no kernel image is available "
                "for execution on the device'.",
                components=(*_dist(build), "gpu"),
                fix=other
                or f"Install a {build.framework} build whose architecture list includes "
                f"sm_{parsed[0]}{parsed[1]}",
                sources=_arch_sources(ctx, parsed),
            )
        elif served == "ptx" and (row := _tf_ptx_fails(ctx, build, cc)) is not None:
            yield finding(
                "ARC001",
                f"{_label(build)} has no working kernels for sm_{parsed[0]}{parsed[1]} ({label})",
                f"{what}: the build targets {targets}, made with CUDA {build.cuda}, older than "
                f"the CUDA {row.first} that {row.family} needs; its PTX does not run there: "
                "TensorFlow's generated kernels fail to load (CUDA_ERROR_INVALID_PTX) and XLA "
                'emits PTX 8.5, which cannot target this GPU ("PTX version 8.5 does not support '
                "target 'sm_120'\").",
                components=(*_dist(build), "gpu"),
                # suggest_build counts PTX as serving the GPU, so it would offer this same build
                fix=f"Use a TensorFlow build made with CUDA {row.first} or newer (e.g. an NVIDIA "
                "NGC TensorFlow container that supports this GPU)",
                sources=(*row.sources, *TF_PTX_FAILS),
            )
        elif served == "ptx":
            yield finding(
                "ARC002",
                f"{_label(build)} runs on {label} only through PTX JIT",
                f"{what}: the build targets {targets}; it has no machine code for this GPU, so "
                "every kernel is JIT-compiled from PTX on first use (slow start, possibly "
                "slower kernels).",
                components=(*_dist(build), "gpu"),
                fix="Install a build with SASS for the GPU, or keep the JIT cache warm "
                "(CUDA_CACHE_MAXSIZE=4294967296)",
                sources=_arch_sources(ctx, parsed),
            )


def _tf_ptx_fails(ctx: CheckContext, build: ResolvedBuild, cc: str) -> ArchFloor | None:
    return tf_ptx_fails(ctx.matrices, build.cuda, cc) if build.framework == "tensorflow" else None


def _arch_sources(ctx: CheckContext, cc: tuple[int, int]) -> tuple[str, ...]:
    return gpu_view(ctx.matrices).family_sources.get(cc, ("https://developer.nvidia.com/cuda-gpus",))


def check_driver(ctx: CheckContext) -> Iterator[Finding]:
    """DRV001-003: the driver against the CUDA each framework build uses."""
    for build in resolved_builds(ctx):
        if build.cuda:
            yield from _driver_findings(ctx, build)


def check_cpu_build_with_gpu(ctx: CheckContext) -> Iterator[Finding]:
    """DRV004: a CPU-only framework build on a machine with an NVIDIA GPU."""
    nvidia = ctx.env.nvidia
    gpus = visible_gpus(ctx.env)
    if nvidia.status is not ProbeStatus.OK or not gpus:
        return
    names = ", ".join(g.name for g in gpus)
    for build in resolved_builds(ctx):
        if build.variant != "cpu" or build.cuda:
            continue
        other = _suggest_for_driver(ctx, build, nvidia.driver_version)[0] if nvidia.driver_version else None
        yield finding(
            "DRV004",
            f"{_label(build)} is a CPU-only build but {len(gpus)} NVIDIA GPU(s) are present",
            f"GPUs: {names}. {_label(build)} has no CUDA support, so they stay idle.",
            components=(*_dist(build), "gpu"),
            fix=other
            or f"Install the CUDA build of {build.framework} that fits driver {nvidia.driver_version}",
            sources=("https://developer.nvidia.com/cuda-gpus",),
        )


def check_gpu_arch(ctx: CheckContext) -> Iterator[Finding]:
    """ARC001-002: each GPU against the SASS / PTX targets of each CUDA build."""
    for build in resolved_builds(ctx):
        if build.cuda:
            yield from _arch_findings(ctx, build)


CHECKS: tuple[CheckFn, ...] = (check_driver, check_cpu_build_with_gpu, check_gpu_arch)
