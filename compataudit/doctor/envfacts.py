"""What the environment says, for the analysers of ``explain``.

Version look-ups, torch's resolved build (variant, CUDA, architectures) through
:mod:`compataudit.compat.torch`, and the one analyser every "CUDA was expected"
signature shares. Every helper answers ``None`` when the environment or the
matrices cannot tell, so a diagnosis never rests on a guess.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from compataudit.model import Environment
from compataudit.versions import local_variant

if TYPE_CHECKING:
    from compataudit.compat.builds import ResolvedBuild
    from compataudit.doctor.diagnosis import Hit

CONFIRM, CONTRADICT = 0.15, -0.3
GH = "https://github.com/"


def version_of(env: Environment | None, *names: str) -> str | None:
    if env is None:
        return None
    for name in names:
        pkg = env.package(name)
        if pkg is not None and pkg.version:
            return pkg.version
    return None


def torch_build(env: Environment) -> ResolvedBuild | None:
    """torch's resolved build (variant, CUDA, archs) via compat.torch, when it answers."""
    try:
        from compataudit.compat import torch as torch_compat
        from compataudit.compat.matrices import load_matrices

        return torch_compat.resolve_build(env, load_matrices())
    except Exception:  # matrices missing or malformed: fall back to the version label
        return None


def is_cpu_only(env: Environment) -> bool | None:
    torch = version_of(env, "torch")
    if torch is None:
        return None
    build = torch_build(env)
    variant = build.variant if build else local_variant(torch)
    if variant is None:
        return None
    return variant == "cpu"


def confirm(hit: Hit, delta: float, evidence: str) -> None:
    hit.confidence += delta
    hit.evidence.append("environment: " + evidence)


def suggest_cuda_torch(env: Environment) -> str | None:
    """The install command of a CUDA torch build that fits this machine's driver and GPUs."""
    if not env.nvidia.cuda_driver_version:
        return None
    try:
        from compataudit.compat import torch as torch_compat
        from compataudit.compat.matrices import load_matrices

        matrices = load_matrices()
        build = torch_compat.resolve_build(env, matrices)
        if build is None:
            return None
        ccs = tuple(g.compute_capability for g in env.nvidia.gpus if g.compute_capability)
        driver_cuda = env.nvidia.cuda_driver_version
        # The matrices may not know a release's architectures: then ask without the GPUs.
        return torch_compat.suggest_build(
            env, matrices, build, max_cuda=driver_cuda, gpu_ccs=ccs
        ) or torch_compat.suggest_build(env, matrices, build, max_cuda=driver_cuda, gpu_ccs=())
    except Exception:
        return None


def cuda_expected(hit: Hit, text: str, env: Environment | None) -> None:
    """CUDA was wanted: a CPU-only torch confirms it, a CUDA build contradicts it."""
    if env is None:
        return
    torch = version_of(env, "torch")
    cpu_only = is_cpu_only(env)
    if cpu_only is True:
        confirm(hit, CONFIRM, f"torch {torch} is a CPU-only build")
        command = suggest_cuda_torch(env)
        if command and "cpu" not in command:
            hit.fix += f" For this machine: `{command}`."
        elif not env.nvidia.gpus:
            hit.fix += " No NVIDIA GPU was found here, so keep the code on the CPU."
    elif cpu_only is False:
        confirm(
            hit,
            CONTRADICT,
            f"torch {torch} is a CUDA build, so the cause is elsewhere "
            "(no visible GPU, CUDA_VISIBLE_DEVICES, driver)",
        )
