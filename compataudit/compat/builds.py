"""What each installed framework was built for, resolved from every source we have.

Probes read build facts from the wheels' own files (``torch/version.py``,
TensorFlow's ``build_info.py``); what-if pins have no files, so the matrices
supply the facts of the default (or named) build variant. Each framework's
``compat`` module turns those into one :class:`ResolvedBuild`, and the generic
driver / GPU-architecture checks work over the list.

A framework module takes part by defining two functions::

    def resolve_build(env: Environment, matrices: Matrices) -> ResolvedBuild | None: ...
    def suggest_build(env: Environment, matrices: Matrices, build: ResolvedBuild, *,
                      max_cuda: str | None, gpu_ccs: tuple[str, ...]) -> str | None: ...

``suggest_build`` returns the install command of the newest build of *this*
release (or the nearest release) whose CUDA is at most ``max_cuda`` (None: no
driver, so a CPU build) and whose architectures cover every GPU in
``gpu_ccs`` — or None when no such build exists.
"""

from __future__ import annotations

import importlib
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from compataudit.compat.matrices import Matrices
    from compataudit.model import Environment

# The compat modules that provide a resolver, in report order.
FRAMEWORK_MODULES = ("torch", "tensorflow", "jax")


@dataclass(frozen=True)
class ResolvedBuild:
    framework: str  # "torch" | "tensorflow" | "jax"
    components: tuple[str, ...]  # distributions involved: ("torch",), ("tensorflow-cpu",), ...
    version: str  # the framework version as installed or pinned
    variant: str | None  # "cu124", "cpu", "rocm6.2"; None when unknown
    cuda: str | None  # CUDA major.minor it was built with; None: not a CUDA build
    archs: tuple[str, ...] = ()  # "sm_80", "compute_90"; empty: unknown
    cudnn: str | None = None
    source: str = "probe"  # "version.py", "build_info.py", "matrix", "pin"


class FrameworkCompat(Protocol):
    def resolve_build(self, env: Environment, matrices: Matrices) -> ResolvedBuild | None: ...

    def suggest_build(
        self,
        env: Environment,
        matrices: Matrices,
        build: ResolvedBuild,
        *,
        max_cuda: str | None,
        gpu_ccs: tuple[str, ...],
    ) -> str | None: ...


def framework_module(name: str) -> FrameworkCompat | None:
    """The compat module of ``name`` if it exists yet."""
    try:
        module = importlib.import_module(f"compataudit.compat.{name}")
    except ModuleNotFoundError:
        return None
    if not hasattr(module, "resolve_build"):
        return None
    return typing.cast("FrameworkCompat", module)


def resolve_builds(env: Environment, matrices: Matrices) -> list[ResolvedBuild]:
    """The resolved builds of every installed framework, in report order."""
    builds = []
    for name in FRAMEWORK_MODULES:
        module = framework_module(name)
        if module is None:
            continue
        build = module.resolve_build(env, matrices)
        if build is not None:
            builds.append(build)
    return builds
