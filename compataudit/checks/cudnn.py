"""cuDNN: the release each framework build needs against the one it will load.

CDN001: a framework's CUDA build needs cuDNN X.Y (torch: the variant's cuDNN; TensorFlow: the
cuDNN it was built and tested with; JAX: the floor of its CUDA plugin's own
``nvidia-cudnn-cuNN>=X,<10`` Requires-Dist) and the cuDNN it would load - the ``nvidia-cudnn-cuNN``
wheel of its CUDA major, else (TensorFlow and JAX) the system cuDNN - is of another major or
an older minor. Where the framework's own metadata pins the wheel exactly, NVW001 already
judges it, so this stays silent. CDN002: the cuDNN release installed does not list a GPU's
compute capability in its support matrix (``matrices/cuda.toml`` ``[[cudnn]]`` rows, matched
by exact release).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from compataudit.checks import CheckContext, CheckFn
from compataudit.checks.cuda import resolved_builds
from compataudit.checks.nvidia_wheels import exact_pins
from compataudit.compat.builds import ResolvedBuild
from compataudit.compat.cuda import CudnnSupport, cuda_view, parse_cc
from compataudit.compat.matrices import Matrices
from compataudit.compat.tensorflow import tensorflow_matrix
from compataudit.model import Environment, Finding
from compataudit.probes.visibility import visible_gpus
from compataudit.rules import finding
from compataudit.versions import in_range, numeric_prefix

# The rule each framework applies when it loads cuDNN: same major, minor at least the build's.
TF_CUDNN_RULE = "https://github.com/tensorflow/tensorflow/issues/55309"
TORCH_CUDNN_RULE = "https://github.com/pytorch/pytorch/blob/main/torch/backends/cudnn/__init__.py"
JAX_CUDNN_RULE = "https://github.com/jax-ml/jax/blob/main/jax/_src/xla_bridge.py"
_RULE_SOURCE = {"tensorflow": TF_CUDNN_RULE, "torch": TORCH_CUDNN_RULE, "jax": JAX_CUDNN_RULE}


class LoadedCudnn(NamedTuple):
    version: str  # "9.5.1"
    where: str  # "nvidia-cudnn-cu12 9.5.1.17" | "system cuDNN (/usr/include/cudnn_version.h)"
    wheel: str | None  # the wheel's name when it comes from one


def _cuda_major(build: ResolvedBuild) -> int | None:
    version = numeric_prefix(build.cuda)
    return version.release[0] if version is not None else None


def loaded_cudnn(env: Environment, build: ResolvedBuild, matrices: Matrices) -> LoadedCudnn | None:
    """The cuDNN ``build`` would load: the wheel of its CUDA major, else the system one.

    torch only loads the wheel (or the copy bundled in old ``+cuXXX`` wheels, which we
    cannot see), so a torch build without the wheel gives None. TensorFlow looks for the
    pip wheels only from the releases with an ``[and-cuda]`` extra; older ones load the
    system cuDNN only.
    """
    major = _cuda_major(build)
    if major is not None and _loads_wheels(build, matrices):
        name = f"nvidia-cudnn-cu{major}"
        pkg = env.package(name)
        version = numeric_prefix(pkg.version) if pkg is not None else None
        if pkg is not None and version is not None:
            return LoadedCudnn(".".join(map(str, version.release[:3])), f"{name} {pkg.version}", name)
    system = env.toolkit.cudnn_version
    if build.framework == "torch" or not system or numeric_prefix(system) is None:
        return None
    return LoadedCudnn(system, f"system cuDNN {system} ({env.toolkit.cudnn_source or 'found'})", None)


def _loads_wheels(build: ResolvedBuild, matrices: Matrices) -> bool:
    if build.framework != "tensorflow":
        return True
    release = tensorflow_matrix(matrices).release_for(build.version)
    return release is not None and bool(release.and_cuda)


def _parts(version: str | None) -> tuple[int, ...]:
    parsed = numeric_prefix(version)
    return parsed.release if parsed is not None else ()


def _pinned_by_framework(env: Environment, build: ResolvedBuild, wheel: str | None) -> bool:
    """NVW001's case: the framework's own metadata pins the cuDNN wheel exactly."""
    if wheel is None:
        return False
    return any(p.wheel == wheel and p.dependent in build.components for p in exact_pins(env))


def _mismatch(need: tuple[int, ...], have: tuple[int, ...]) -> str | None:
    if not need or not have:
        return None
    if have[0] != need[0]:
        return "major"
    if len(need) > 1 and len(have) > 1 and have[1] < need[1]:
        return "older"
    return None


def check_cudnn_version(ctx: CheckContext) -> Iterator[Finding]:
    """CDN001: the cuDNN each CUDA build loads against the cuDNN it was built for."""
    for build in resolved_builds(ctx):
        if not build.cuda or not build.cudnn:
            continue
        loaded = loaded_cudnn(ctx.env, build, ctx.matrices)
        if loaded is None or _pinned_by_framework(ctx.env, build, loaded.wheel):
            continue
        need = _parts(build.cudnn)
        kind = _mismatch(need, _parts(loaded.version))
        if kind is None:
            continue
        label = f"{build.components[0] if build.components else build.framework} {build.version}"
        need_text = ".".join(map(str, need[:2]))
        effect = (
            f"libcudnn.so.{need[0]} is not found, so the GPU cannot be used for convolutions"
            if kind == "major"
            else "cuDNN refuses to initialise ('CuDNN library needs to have matching major version "
            "and equal or higher minor version')"
        )
        major = _cuda_major(build)
        yield finding(
            "CDN001",
            f"{label} needs cuDNN "
            + (f"{need[0]}.x" if kind == "major" else f"{need_text} or newer")
            + f" but would load cuDNN {loaded.version}",
            f"{label} (CUDA {build.cuda}) {_needs(build)}; it would load {loaded.where}: {effect}.",
            components=(*(build.components or (build.framework,)), loaded.wheel or "cudnn"),
            fix=_fix(loaded, need, major),
            sources=(_RULE_SOURCE.get(build.framework, TF_CUDNN_RULE),),
        )


def _needs(build: ResolvedBuild) -> str:
    if build.framework == "jax":
        plugin = next((c for c in build.components if c.endswith("-plugin")), "its CUDA plugin")
        return f"requires cuDNN >= {build.cudnn} ({plugin}'s own Requires-Dist; XLA refuses an older one)"
    return f"was built against cuDNN {build.cudnn}"


def _fix(loaded: LoadedCudnn, need: tuple[int, ...], cuda_major: int | None) -> str | None:
    want = ".".join(map(str, need[:2]))
    if loaded.wheel is not None:
        return f'pip install "{loaded.wheel}>={want},<{need[0] + 1}"'
    cuda = f" for CUDA {cuda_major}" if cuda_major else ""
    return (
        f"Install cuDNN {need[0]}.x (>= {want}){cuda} on the system library path "
        f"(libcudnn.so.{need[0]}), or point LD_LIBRARY_PATH at it"
    )


def _support_rows(ctx: CheckContext, version: str) -> tuple[CudnnSupport, ...]:
    return tuple(row for row in cuda_view(ctx.matrices).cudnn if _parts(row.cudnn) == _parts(version))


def check_cudnn_gpus(ctx: CheckContext) -> Iterator[Finding]:
    """CDN002: each GPU against the compute capabilities of the installed cuDNN release."""
    seen: set[str] = set()
    for build in resolved_builds(ctx):
        loaded = loaded_cudnn(ctx.env, build, ctx.matrices) if build.cuda else None
        if loaded is None or loaded.where in seen:
            continue
        seen.add(loaded.where)
        rows = [r for r in _support_rows(ctx, loaded.version) if in_range(build.cuda, r.cuda)]
        if not rows:
            continue  # this cuDNN release is not in the data: no judgement
        row = rows[0]
        low, high = parse_cc(row.cc_min), parse_cc(row.cc_max)
        for gpu in visible_gpus(ctx.env):
            cc = parse_cc(gpu.compute_capability)
            # SASS runs on later minors of its major: a 12.0 ceiling serves 12.1
            if cc is None or ((low is None or cc >= low) and (high is None or cc[0] <= high[0])):
                continue
            yield finding(
                "CDN002",
                f"cuDNN {loaded.version} does not support {gpu.name} (compute capability "
                f"{gpu.compute_capability})",
                f"{loaded.where}: its support matrix lists compute capabilities {row.cc_min} to "
                f"{row.cc_max} for CUDA {row.cuda}; cuDNN calls on this GPU fail "
                "(CUDNN_STATUS_ARCH_MISMATCH) or fall back to slow paths.",
                components=(loaded.wheel or "cudnn", "gpu"),
                fix="Install the cuDNN release the framework pins, or one whose support matrix lists the GPU",
                sources=row.sources,
            )


CHECKS: tuple[CheckFn, ...] = (check_cudnn_version, check_cudnn_gpus)
