"""The PyTorch family: torch, torchvision and torchaudio against Python, numpy and each other.

Every judgement comes from ``matrices/torch.toml`` through
:mod:`compataudit.compat.torch`. Versions the data does not cover (nightlies,
vendor builds, releases newer than the data) get an MAT001 info finding and are
left out of the pairing checks: an unknown version is never an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from compataudit.checks import CheckContext
from compataudit.compat import torch as tm
from compataudit.model import Finding, Package, Severity
from compataudit.rules import finding
from compataudit.versions import (
    ParsedRequirement,
    applicable_requirements,
    in_range,
    local_variant,
    major_minor,
    marker_environment,
    minor_of,
    parse_version,
    variant_cuda,
)

_NUMPY_SOURCE = "https://github.com/pytorch/pytorch/issues/132179"
_AUDIO_CUDA_SOURCE = "https://github.com/pytorch/audio/releases/tag/v2.11.1"


def _official(ctx: CheckContext, name: str) -> Package | None:
    """The installed ``name`` when its version is a readable, official release."""
    pkg = ctx.env.package(name)
    if pkg is None or parse_version(pkg.version) is None or tm.is_unofficial(pkg.version):
        return None
    return pkg


def _public(version: str) -> str:
    """``2.5.1+cu124`` -> ``2.5.1`` (callers have checked that it parses)."""
    parsed = parse_version(version)
    return parsed.public if parsed is not None else version


def _torch_variant(ctx: CheckContext, torch: Package) -> str | None:
    plat = ctx.env.platform
    return (
        local_variant(torch.version)
        or tm.probed_variant(ctx.env)
        or tm.default_variant(ctx.matrices, torch.version, system=plat.system, machine=plat.machine)
    )


def _repair(ctx: CheckContext, torch_version: str) -> str:
    """One command that reinstalls the whole family at ``torch_version``."""
    torch = ctx.env.package("torch")
    variant = _torch_variant(ctx, torch) if torch is not None else None
    return tm.family_command(ctx.env, ctx.matrices, torch_version, variant)


# --------------------------------------------------------------------------- PY001


def _release_for_python(ctx: CheckContext, installed: str) -> tm.TorchRelease | None:
    """The nearest newer release that supports this Python, else the newest older one.

    The installed extensions must have a partner for that Python too.
    """
    python = parse_version(ctx.env.python.version)
    m = ctx.matrices

    def fits(release: tm.TorchRelease) -> bool:
        if python is None or not in_range(python, release.python):
            return False
        if ctx.env.package("torchvision") is not None:
            vision = tm.torchvision_for_torch(m, release.minor)
            if vision is None or in_range(python, vision.python or "") is False:
                return False
        if ctx.env.package("torchaudio") is not None:
            audio = tm.torchaudio_for_torch(m, release.minor + ".0")
            if audio is None or in_range(python, audio.python or "") is False:
                return False
        return True

    candidates = [r for r in tm.torch_matrix(m).releases if fits(r)]
    current = tm.release_for(m, installed)
    newer = [r for r in candidates if current is None or r.key > current.key]
    return newer[0] if newer else (candidates[-1] if candidates else None)


def check_python(ctx: CheckContext) -> Iterator[Finding]:
    """PY001: torch, torchvision and torchaudio against the interpreter."""
    python = ctx.env.python.version
    pv = parse_version(python)
    torch = _official(ctx, "torch")
    if pv is None or torch is None:
        return
    release = tm.release_for(ctx.matrices, torch.version)
    if release is None:
        return
    short = f"{pv.major}.{pv.minor}"
    target = _release_for_python(ctx, torch.version)
    fix = _repair(ctx, target.minor) if target else None
    if in_range(python, release.python) is False:
        experimental = short in release.python_experimental
        verb = "only has experimental support for" if experimental else "does not support"
        yield finding(
            "PY001",
            f"torch {torch.version} {verb} Python {short}",
            f"torch {release.minor} publishes wheels for Python {release.python}"
            + (f" (Python {short} is listed as experimental)" if experimental else "")
            + f"; this environment uses Python {python}."
            + (f" torch {target.minor} supports it." if target else ""),
            components=("torch", "python"),
            fix=fix,
            sources=release.sources,
            severity=Severity.WARNING if experimental else None,
        )
    for name, row in _extension_rows(ctx):
        if row is None or row.python is None or in_range(python, row.python) is not False:
            continue
        pkg = ctx.env.package(name)
        assert pkg is not None
        yield finding(
            "PY001",
            f"{name} {pkg.version} does not support Python {short}",
            f"{name} {minor_of(pkg.version)} supports Python {row.python}; this environment "
            f"uses Python {python}.",
            components=(name, "python"),
            fix=fix,
            sources=row.sources,
        )


def _extension_rows(
    ctx: CheckContext,
) -> Iterator[tuple[str, tm.VisionRow | tm.AudioRow | None]]:
    vision, torch = _official(ctx, "torchvision"), ctx.env.package("torch")
    if vision is not None:
        yield (
            "torchvision",
            tm.torch_for_torchvision(ctx.matrices, vision.version, torch.version if torch else None),
        )
    audio = _official(ctx, "torchaudio")
    if audio is not None:
        yield "torchaudio", tm.audio_row(ctx.matrices, audio.version)


# --------------------------------------------------------------------------- TCH001 / TCH002


def check_torchvision(ctx: CheckContext) -> Iterator[Finding]:
    """TCH001: torchvision is the release built for the installed torch."""
    torch, vision = _official(ctx, "torch"), _official(ctx, "torchvision")
    if torch is None or vision is None:
        return
    row = tm.torch_for_torchvision(ctx.matrices, vision.version, torch.version)
    if row is None:
        return
    expected = tm.torchvision_for_torch(ctx.matrices, torch.version)
    fix = _repair(ctx, _public(torch.version))
    comps = ("torch", "torchvision")
    if minor_of(torch.version) != row.torch:
        want = f"torchvision {expected.torchvision}.x" if expected else "a matching torchvision"
        yield finding(
            "TCH001",
            f"torchvision {vision.version} was built for torch {row.torch}, not torch {torch.version}",
            f"torchvision {row.torchvision} pairs with torch {row.torch}; torch "
            f"{torch.version} needs {want}.",
            components=comps,
            fix=fix,
            sources=row.sources + (expected.sources if expected else ()),
        )
        return
    wanted = tm.exact_pair(row.pairs, torch.version)
    if (
        wanted
        and parse_version(wanted) != parse_version(_public(vision.version))
        and _declared_conflict(ctx, vision, torch) is None
    ):  # else TCH004's error
        yield finding(
            "TCH001",
            f"torchvision {vision.version} was built for another torch {row.torch} patch release",
            f"torch {torch.version} pairs with torchvision {wanted} exactly; pip reports the "
            "conflict and compiled ops may fail to load.",
            components=comps,
            fix=fix,
            sources=row.sources,
            severity=Severity.WARNING,
        )


def check_torchaudio(ctx: CheckContext) -> Iterator[Finding]:
    """TCH002: torchaudio supports the installed torch."""
    torch, audio = _official(ctx, "torch"), _official(ctx, "torchaudio")
    if torch is None or audio is None:
        return
    row = tm.audio_row(ctx.matrices, audio.version)
    if row is None:
        return
    public = _public(torch.version)
    fix = _repair(ctx, public)
    comps = ("torch", "torchaudio")
    if not in_range(public, row.torch):
        yield finding(
            "TCH002",
            f"torchaudio {audio.version} does not support torch {torch.version}",
            f"torchaudio {row.torchaudio} works with torch {row.torch}; torch {torch.version} is installed.",
            components=comps,
            fix=fix,
            sources=row.sources,
        )
        return
    wanted = tm.exact_pair(row.pairs, public)
    if (
        wanted
        and parse_version(wanted) != parse_version(_public(audio.version))
        and _declared_conflict(ctx, audio, torch) is None
    ):  # else TCH004's error
        yield finding(
            "TCH002",
            f"torchaudio {audio.version} was built for another torch patch release",
            f"torch {torch.version} pairs with torchaudio {wanted} exactly.",
            components=comps,
            fix=fix,
            sources=row.sources,
            severity=Severity.WARNING,
        )


# --------------------------------------------------------------------------- TCH004


def _with_recorded_requires(ctx: CheckContext, pkg: Package) -> Package:
    """A what-if pin has no METADATA: its wheel's exact pins come from the harvest summary."""
    if not pkg.pinned or pkg.requires:
        return pkg
    recorded = ctx.matrices.harvest_summary().pins.get(f"{pkg.name}=={_public(pkg.version)}")
    return replace(pkg, requires=tuple(recorded)) if recorded else pkg


def _declared_conflict(ctx: CheckContext, ext: Package, torch: Package) -> ParsedRequirement | None:
    """The extension's own ``Requires-Dist: torch...`` line that the installed torch fails."""
    markers = marker_environment(ctx.env)
    if markers is None:
        return None
    for req in applicable_requirements(_with_recorded_requires(ctx, ext), markers):
        if req.name == "torch" and req.specifier and in_range(torch.version, req.specifier) is False:
            return req
    return None


def check_declared_torch(ctx: CheckContext) -> Iterator[Finding]:
    """TCH004: the torch pin in an extension's own METADATA, where the matrices are silent.

    torchvision and torchaudio wheels declare the torch they were built for
    (``Requires-Dist: torch==2.14.0``). That pin is authoritative even for a release
    the data does not know yet (or one without a recorded exact pair); a TCH001 / TCH002
    error already says it, so this fires only where they do not.
    """
    torch = ctx.env.package("torch")
    if torch is None or parse_version(torch.version) is None:
        return
    reported = {
        f.components[1]
        for f in (*check_torchvision(ctx), *check_torchaudio(ctx))
        if f.severity is Severity.ERROR
    }
    for name in ("torchvision", "torchaudio"):
        pkg = ctx.env.package(name)
        req = _declared_conflict(ctx, pkg, torch) if pkg is not None else None
        if pkg is None or req is None or name in reported:
            continue
        partner = tm.torchvision_for_torch if name == "torchvision" else tm.torchaudio_for_torch
        # keep torch when the data knows its partner, else move torch to the pin
        fix = (
            _repair(ctx, _public(torch.version))
            if partner(ctx.matrices, _public(torch.version)) is not None
            else f'pip install "torch{req.specifier}" {name}=={_public(pkg.version)}'
        )
        yield finding(
            "TCH004",
            f"{name} {pkg.version} requires torch{req.specifier}, not torch {torch.version}",
            f"{name} {pkg.version} declares `{req.text}` in its own metadata (the torch it was "
            f"built for{'; recorded from the package index' if pkg.pinned and not pkg.requires else ''}); "
            f"torch {torch.version} is {'pinned' if torch.pinned else 'installed'}, so its compiled "
            "ops may fail to load.",
            components=("torch", name),
            fix=fix,
        )


# --------------------------------------------------------------------------- TCH003


def _variant_clash(a: str, b: str) -> str | None:
    """ "error", "minor" (same CUDA major, other minor) or None when ``a`` and ``b`` agree."""
    if a == b:
        return None
    ca, cb = major_minor(variant_cuda(a)), major_minor(variant_cuda(b))
    if ca is not None and cb is not None and ca[0] == cb[0]:
        return "minor"
    return "error"


def check_variants(ctx: CheckContext) -> Iterator[Finding]:
    """TCH003: torchvision / torchaudio come from torch's build variant."""
    torch = ctx.env.package("torch")
    if torch is None or parse_version(torch.version) is None:
        return
    torch_variant = _torch_variant(ctx, torch)
    if torch_variant is None:
        return
    plat = ctx.env.platform
    for name in ("torchvision", "torchaudio"):
        pkg = ctx.env.package(name)
        if pkg is None or parse_version(pkg.version) is None:
            continue
        variant = local_variant(pkg.version)
        audio = tm.audio_row(ctx.matrices, pkg.version) if name == "torchaudio" else None
        if variant is None and name == "torchvision" and pkg.channel is None:
            # (a conda torchvision is built like conda's torch, not like PyPI's)
            row = tm.torch_for_torchvision(ctx.matrices, pkg.version, torch.version)
            # plain PyPI torchvision is built like plain PyPI torch of its release
            # (a torchvision of another release is TCH001's business)
            if row is not None and row.torch == minor_of(torch.version):
                variant = tm.default_variant(
                    ctx.matrices, row.torch, system=plat.system, machine=plat.machine
                )
        if variant is None:
            continue
        clash = _variant_clash(torch_variant, variant)
        if clash is None:
            continue
        severity = None
        sources: tuple[str, ...] = ()
        if clash == "minor":
            if (
                name == "torchaudio"
                and audio is not None
                and audio.stable_abi
                and in_range(pkg.version, ">=2.11.1")
            ):
                continue  # torchaudio 2.11.1+ checks the CUDA major only
            severity = Severity.WARNING if name == "torchvision" else None
            sources = (_AUDIO_CUDA_SOURCE,) if name == "torchaudio" else ()
        release = tm.release_for(ctx.matrices, torch.version)
        yield finding(
            "TCH003",
            f"{name} {pkg.version} is a {variant} build but torch {torch.version} is {torch_variant}",
            f"torch is the {torch_variant} build and {name} the {variant} build; extensions "
            "must come from torch's variant index.",
            components=("torch", name),
            severity=severity,
            fix=tm.family_command(
                ctx.env, ctx.matrices, _public(torch.version), torch_variant, extensions_only=True
            ),
            sources=sources + (release.sources if release else ()),
        )


# --------------------------------------------------------------------------- NPY001 / MAT001


def check_numpy(ctx: CheckContext) -> Iterator[Finding]:
    """NPY001: numpy 2 needs torch >= 2.3."""
    torch, numpy = _official(ctx, "torch"), ctx.env.package("numpy")
    if torch is None or numpy is None:
        return
    release = tm.release_for(ctx.matrices, torch.version)
    parsed = parse_version(numpy.version)
    # a numpy 2 pre-release already has the numpy 2 ABI
    if release is None or release.numpy2 or parsed is None or parsed.major < 2:
        return
    yield finding(
        "NPY001",
        f"numpy {numpy.version} is too new for torch {torch.version}",
        f"torch {release.minor} was compiled against numpy 1.x and cannot use numpy "
        f"{numpy.version} (numpy 2 needs torch >= 2.3); install numpy<2 or upgrade torch "
        "to 2.3 or newer.",
        components=("torch", "numpy"),
        fix='pip install "numpy<2"',
        sources=(_NUMPY_SOURCE, *release.sources),
    )


def check_unknown(ctx: CheckContext) -> Iterator[Finding]:
    """MAT001: torch-family versions the data cannot judge."""
    m = ctx.matrices
    newest = tm.newest_release(m)
    for name in ("torch", "torchvision", "torchaudio"):
        pkg = ctx.env.package(name)
        if pkg is None or parse_version(pkg.version) is None:
            continue
        row: object = (
            tm.release_for(m, pkg.version)
            if name == "torch"
            else tm.torch_for_torchvision(m, pkg.version)
            if name == "torchvision"
            else tm.audio_row(m, pkg.version)
        )
        if name == "torch" and tm.is_ngc_build(ctx.env, pkg.version):
            why = _ngc_gap(ctx, pkg.version)  # its family is judged in checks/ngc.py
            if why is None:
                continue
        elif tm.is_unofficial(pkg.version):
            why = (
                f"{name} {pkg.version} is a nightly, pre-release or vendor build; its "
                "pairing and Python range are not in the release data, so they are not judged."
            )
        elif row is None:
            why = f"{name} {minor_of(pkg.version)} is not in compataudit's data" + (
                f" (newest torch known: {newest.minor})." if newest else "."
            )
        else:
            continue
        yield finding(
            "MAT001",
            f"{name} {pkg.version} is not in the compatibility data",
            why,
            components=(name,),
            sources=newest.sources[:1] if newest else (),
        )


def _ngc_gap(ctx: CheckContext, version: str) -> str | None:
    """Why an NGC torch is only partly judged, or None when its release is in ngc.toml."""
    from compataudit.compat.ngc import container_release, ngc_view

    release = container_release(ctx.env, "pytorch", version)
    if release and ngc_view(ctx.matrices).release("pytorch", release) is not None:
        return None
    return (
        f"torch {version} is NVIDIA's NGC build of torch {minor_of(version)}"
        + (f" (container {release})" if release else "")
        + f"; torchvision and torchaudio are checked against torch {minor_of(version)}, but the "
        "release's CUDA, cuDNN and driver rule are not in matrices/ngc.toml."
    )


CHECKS = (
    check_python,
    check_torchvision,
    check_torchaudio,
    check_declared_torch,
    check_variants,
    check_numpy,
    check_unknown,
)
