"""NVIDIA NGC builds of torch: the family checks against the upstream release they are based on.

``2.4.0a0+3bcc3cddb5.nv24.07`` is NVIDIA's torch 2.4 (container 24.07). The
container ships a torchvision / torchaudio built for it (pre-release versions,
which these checks leave alone); a PyPI torchvision or torchaudio installed over
it must still pair with 2.4 (TCH001 / TCH002), and pip brings PyPI's torch along
unless told ``--no-deps``. Where the release's notes allow an older driver branch on
data-center GPUs (forward compatibility), NGC001 says so beside the driver finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext
from compataudit.compat import torch as tm
from compataudit.model import Finding, Package
from compataudit.rules import finding
from compataudit.versions import driver_tuple, parse_version


def _ngc_torch(ctx: CheckContext) -> tuple[Package, str, str | None] | None:
    """(torch, the upstream minor it is based on, its NGC release) for an NGC torch."""
    torch = ctx.env.package("torch")
    if torch is None or not tm.is_ngc_build(ctx.env, torch.version):
        return None
    parsed = parse_version(torch.version)
    if parsed is None or len(parsed.release) < 2:
        return None
    from compataudit.compat.ngc import container_release  # only NGC builds get this far

    upstream = f"{parsed.release[0]}.{parsed.release[1]}"
    return torch, upstream, container_release(ctx.env, "pytorch", torch.version)


def _official(ctx: CheckContext, name: str) -> Package | None:
    pkg = ctx.env.package(name)
    if pkg is None or parse_version(pkg.version) is None or tm.is_unofficial(pkg.version):
        return None  # the container's own pre-release build, or something unreadable
    return pkg


def check_ngc_companions(ctx: CheckContext) -> Iterator[Finding]:
    """TCH001 / TCH002: a PyPI torchvision or torchaudio over an NGC torch of another release."""
    found = _ngc_torch(ctx)
    if found is None:
        return
    torch, upstream, release = found
    label = f"NVIDIA's torch {torch.version} (NGC {release or '?'}, torch {upstream})"
    vision = _official(ctx, "torchvision")
    row = tm.torch_for_torchvision(ctx.matrices, vision.version) if vision else None
    if vision is not None and row is not None and row.torch != upstream:
        expected = tm.torchvision_for_torch(ctx.matrices, upstream)
        want = f"torchvision {expected.torchvision}.x" if expected else "a matching torchvision"
        yield finding(
            "TCH001",
            f"torchvision {vision.version} was built for torch {row.torch}, not {label}",
            f"torchvision {row.torchvision} pairs with torch {row.torch}; the NGC build is torch "
            f"{upstream}, which needs {want}. pip also replaces NVIDIA's torch with PyPI's when "
            "it installs a torchvision without --no-deps.",
            components=("torch", "torchvision"),
            fix="Use the torchvision the NGC image ships (drop the pip install of torchvision), "
            f"or install {want} built for this torch with --no-deps",
            sources=row.sources + (expected.sources if expected else ()),
        )
    audio = _official(ctx, "torchaudio")
    arow = tm.audio_row(ctx.matrices, audio.version) if audio else None
    if audio is not None and arow is not None and not _supports(arow.torch, upstream):
        yield finding(
            "TCH002",
            f"torchaudio {audio.version} does not support {label}",
            f"torchaudio {arow.torchaudio} works with torch {arow.torch}; the NGC build is torch {upstream}.",
            components=("torch", "torchaudio"),
            fix="Use the torchaudio the NGC image ships (drop the pip install of torchaudio)",
            sources=arow.sources,
        )


def _supports(spec: str, upstream: str) -> bool:
    from compataudit.versions import in_range

    return in_range(f"{upstream}.0", spec) is not False


def _ngc_releases(ctx: CheckContext) -> Iterator[tuple[str, str, str]]:
    """(container, distribution, NGC release) of each NGC framework build installed."""
    found = _ngc_torch(ctx)
    if found is not None and found[2] is not None:
        yield "pytorch", "torch", found[2]
    from compataudit.compat import tensorflow as tfm

    tf = tfm.installed_tensorflow(ctx.env, ctx.matrices)
    release = tfm.ngc_release(ctx.env, tf.version) if tf is not None else None
    if tf is not None and release is not None:
        yield "tensorflow", tf.name, release


def check_ngc_forward_compat(ctx: CheckContext) -> Iterator[Finding]:
    """NGC001: the driver is below the release's minimum, on a branch its notes allow on
    data-center GPUs (forward compatibility). An unknown release is MAT001 in checks/torch.py."""
    driver = ctx.env.nvidia.driver_version
    if not driver:
        return
    from compataudit.compat.ngc import meets_min_driver, ngc_view

    view = ngc_view(ctx.matrices)
    for container, dist, release in _ngc_releases(ctx):
        row = view.release(container, release)
        if row is None or not row.min_driver or meets_min_driver(driver, row.min_driver) is not False:
            continue
        have = driver_tuple(driver)
        branches = [b for b in row.datacenter_drivers if _same_branch(have, b)]
        if branches:
            yield finding(
                "NGC001",
                f"NGC {row.release} needs driver >= {row.min_driver}; on a data-center GPU driver "
                f"{driver} is supported through forward compatibility",
                f"The {container} {row.release} release notes list driver {branches[0]} for "
                "data-center GPUs: the container's CUDA forward-compatibility package runs there, "
                "not on other GPUs.",
                components=(dist, "nvidia-driver"),
                sources=row.sources + view.forward_compat_sources,
            )


def _same_branch(have: tuple[int, ...] | None, listed: str) -> bool:
    need = driver_tuple(listed)
    if have is None or need is None:
        return False
    return have[: len(need)] >= need and have[0] == need[0]


CHECKS = (check_ngc_companions, check_ngc_forward_compat)
