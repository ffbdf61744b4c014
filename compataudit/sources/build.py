"""The environment ``-r`` files build, as the installer would build it.

A Dockerfile builds an image and a lock file (or conda environment file) a whole environment:
they stand alone, so none of the host's packages are in them (and, for an image, none of its
system CUDA or variables). A requirements file or ``pyproject.toml`` is installed into a fresh
environment on this machine's Python, unless ``layered``: then it is installed into the current
(or ``--env``) environment the way ``pip install -r`` would, keeping what already satisfies it
and replacing what does not — the replacements are named in ``StackSource.changed``. The GPU side
(driver, GPUs) is always this machine's, or the what-if flags'.

Requirements on ranges are resolved offline (:mod:`compataudit.sources.resolve`) from the release
data, on the audited Python; the package keeps the requirement as written in ``requested``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from compataudit.distributions import AUDITED_STACK, FRAMEWORKS, JAX_PLUGINS, family
from compataudit.errors import UsageError
from compataudit.inputs import STANDALONE, Pin, StackFile, Want
from compataudit.sources.resolve import HasVariant
from compataudit.sources.stack_files import apply_facts, chosen_pins

if TYPE_CHECKING:
    from compataudit.compat.matrices import Matrices
    from compataudit.compat.releases import ReleaseIndex
from compataudit.model import Environment, Package, ProbeStatus, StackSource, ToolkitInfo

# Dependencies nobody wrote that the environment shows: the frameworks and their companions.
_DEPENDENCIES_SHOWN = frozenset((*FRAMEWORKS, *JAX_PLUGINS))


def stack_mode(files: Sequence[StackFile], layered: bool) -> str:
    """``image`` | ``lock`` | ``fresh`` | ``layered``: which environment the files describe."""
    kinds = {f.kind for f in files}
    standalone = "image" if "Dockerfile" in kinds else "lock" if kinds & STANDALONE else None
    if layered and standalone:
        shown = next(f.path for f in files if f.kind == "Dockerfile" or f.kind in STANDALONE)
        raise UsageError(
            f"--onto-current: {shown} builds an environment of its own; "
            "layer only requirements files and pyproject.toml"
        )
    return standalone or ("layered" if layered else "fresh")


def build_from_files(
    env: Environment,
    files: Sequence[StackFile],
    *,
    layered: bool = False,
    onto: str | None = None,
    ask_pip: bool = False,
) -> Environment:
    """The environment ``files`` build on this machine (see the module docstring).

    ``ask_pip`` (``--resolve``): pip's own dry-run answer instead of the offline resolution.
    """
    mode = stack_mode(files, layered)
    if ask_pip and mode != "fresh":
        raise UsageError(
            "--resolve asks pip for a fresh environment from requirements files or pyproject.toml; "
            "it does not combine with --onto-current, Dockerfiles or lock files"
        )
    if mode != "layered":
        env = replace(env, packages=(), builds=(), target=None)
    if mode == "image":
        # An image has its own system libraries and variables: only what its base provides.
        env = replace(env, toolkit=ToolkitInfo(status=ProbeStatus.ABSENT), env_vars=())
    installed = {p.name: p for p in env.packages}
    from compataudit.versions import marker_environment, platform_markers

    markers = marker_environment(env) or platform_markers(env)
    pins = chosen_pins(files, env)
    wants = [w for f in files for w in f.wants if _applies(w, markers)]
    if mode == "lock":  # a lock file holds every distribution already: nothing to resolve
        packages = [_pinned(p) for p in pins]
        changed: list[tuple[str, str]] = []
        skipped = [f"{w.text} ({w.where}): no exact version locked" for w in wants]
        notes: list[str] = []
    elif ask_pip:
        packages, skipped = _from_pip(env, files, pins, wants)
        changed, notes = [], []
    else:
        packages, changed, skipped, notes = _resolve(env, pins, wants, installed, markers)
    env = _with_packages(env, packages, layered=mode == "layered")
    env = apply_facts(env, files, pins)
    if mode == "layered":
        # Replaced by a release the data does not know (numpy without release data): the
        # version after the install is unknown, so it is left empty and not judged.
        unknown = {name for name, _ in changed if name not in {p.name for p in packages}}
        env = replace(
            env,
            packages=tuple(
                replace(p, version="", requested=None, pinned=True, location=None) if p.name in unknown else p
                for p in env.packages
            ),
        )
    notes += _python_notes(env, files)
    stack = StackSource(
        files=tuple(f.path for f in files),
        mode=mode,
        onto=onto if mode == "layered" else None,
        changed=tuple(text for _, text in changed),
        skipped=tuple(skipped),
    )
    return replace(env, stack=stack, notes=env.notes + tuple(notes))


def _python_notes(env: Environment, files: Sequence[StackFile]) -> list[str]:
    """A project whose requires-python excludes the audited Python cannot be installed on it."""
    from compataudit.versions import in_range

    notes = [
        f"{f.path}: requires-python {f.requires_python} excludes the audited Python "
        f"{env.python.version}; the installer refuses the project there (pass --python X.Y)"
        for f in files
        if f.requires_python and in_range(env.python.version, f.requires_python) is False
    ]
    images = [f for f in files if f.kind == "Dockerfile"]
    if images and not any(f.python for f in images) and env.python.version:
        notes.append(
            f"{images[0].path}: its base image names no Python version; audited with Python "
            f"{env.python.version} (pass --python X.Y for the image's)"
        )
    return notes


def _applies(want: Want, markers: dict[str, str]) -> bool:
    from compataudit.versions import marker_applies

    return marker_applies(want.marker, markers) is not False


def _resolve(
    env: Environment,
    pins: list[Pin],
    wants: list[Want],
    installed: dict[str, Package],
    markers: dict[str, str],
) -> tuple[list[Package], list[tuple[str, str]], list[str], list[str]]:
    """Packages the installer would put in, what it would replace, what was skipped, notes."""
    from compataudit.compat.matrices import load_matrices
    from compataudit.compat.releases import release_index
    from compataudit.sources.resolve import resolve

    matrices = load_matrices()
    index = release_index(matrices)
    # An image's own framework (pytorch/pytorch, NGC) carries its build; pip did not install it.
    fixed = [p for p in pins if p.build is not None or not index.knows(p.name)]
    outside = [p for p in fixed if p.name not in AUDITED_STACK and not index.knows(p.name)]
    asked = [Want(p.name, f"=={p.version}", p.where, f"{p.name}=={p.version}", marker=p.marker) for p in pins]
    asked = [w for w, p in zip(asked, pins, strict=True) if p not in fixed] + wants
    resolution = resolve(
        asked,
        index,
        python=env.python.version or None,
        markers=markers,
        installed={n: p.version for n, p in installed.items()},
        has_variant=_torch_variants(matrices, index),
    )
    packages = [_pinned(p) for p in fixed]
    taken = {p.name for p in fixed}
    asked_families = {family(p.name) for p in resolution.picks if p.requested} | {
        family(p.name) for p in fixed
    }
    for pick in resolution.picks:
        related = family(pick.name) in asked_families or pick.name in installed
        if pick.requested is None and (
            pick.name in taken or pick.name not in _DEPENDENCIES_SHOWN or not related
        ):
            # A dependency never replaces what the image ships (pip's --no-deps, or a note says
            # it may); the CUDA wheels and triton a torch pulls in are the build's business, and
            # another framework pulled in as a library (TensorFlow 2.12 requires jax) is judged
            # only where it replaces an installed one (--onto-current).
            continue
        taken.add(pick.name)
        packages.append(
            Package(
                name=pick.name,
                version=pick.version,
                pinned=True,
                pinned_at=pick.where if pick.requested else None,
                requested=pick.requested,
            )
        )
    # An exact pin is audited as written even where it cannot be installed (no wheel for this
    # Python: PY001 says so).
    packages += [_pinned(p) for p in pins if p.name not in taken]
    changed = _changes(packages, installed, resolution.constraints)
    pinned = {p.name for p in pins}
    skipped = [
        f"{w.text} ({w.where}): no release in compataudit's data satisfies it on Python "
        f"{env.python.version or '(unknown)'}"
        for w in resolution.unresolved
        if w.name not in pinned
    ]
    skipped += [
        f"{w.text} ({w.where}): not part of the stack compataudit audits"
        for w in wants
        if not index.knows(w.name) and w.name not in AUDITED_STACK
    ]
    skipped += [
        f"{p.name}=={p.version} ({p.where}): not part of the stack compataudit audits" for p in outside
    ]
    notes = [f"-r: {resolution.conflict}"] if resolution.conflict else []
    unknown = [w for w in wants if not index.knows(w.name) and w.name in AUDITED_STACK]
    if unknown:
        shown = ", ".join(f"{w.text} ({w.where})" for w in unknown)
        notes.append(f"-r: compataudit has no release data to resolve {shown}; not audited")
    return packages, changed, skipped, notes


def _from_pip(
    env: Environment, files: Sequence[StackFile], pins: list[Pin], wants: list[Want]
) -> tuple[list[Package], list[str]]:
    """The stack packages of pip's dry-run answer, each with the requirement that asked for it."""
    from compataudit.inputs.pip_resolve import pip_install_report

    answer = pip_install_report(files, env.python.version or None)
    asked: dict[str, tuple[str, str]] = {w.name: (w.text, w.where) for w in wants}
    asked.update((p.name, (f"{p.name}=={p.version}", p.where)) for p in pins)
    packages = []
    for name, version in sorted(answer.items()):
        if name not in AUDITED_STACK:
            continue
        text, where = asked.get(name, (None, None))
        packages.append(Package(name, version, pinned=True, pinned_at=where, requested=text))
    skipped = [
        f"{w.text} ({w.where}): not part of the stack compataudit audits"
        for w in wants
        if w.name not in AUDITED_STACK
    ]
    return packages, skipped


def _torch_variants(matrices: Matrices, index: ReleaseIndex) -> HasVariant:
    """Whether download.pytorch.org/whl/<variant> carries a release: a torch release's variants in
    matrices/torch.toml (CPU wheels are published for every release; a release the matrices do
    not describe is assumed to be there). torchvision follows the torch its release pins, or the
    torch minor its matrix row names."""
    from compataudit.compat.torch import release_for, torch_for_torchvision
    from compataudit.versions import parse_requirement

    def torch_has(version: str, variant: str) -> bool:
        release = release_for(matrices, version)
        return variant == "cpu" or release is None or variant in release.variants

    def has(name: str, version: str, variant: str) -> bool:
        if name == "torch":
            return torch_has(version, variant)
        release = next((r for r in index.of(name) if r.version == version), None)
        for line in release.requires if release else ():
            parsed = parse_requirement(line)
            if parsed and parsed.name == "torch" and parsed.specifier.startswith("=="):
                return torch_has(parsed.specifier[2:], variant)
        row = torch_for_torchvision(matrices, version) if name == "torchvision" else None
        return row is None or torch_has(row.torch, variant)

    return has


def _pinned(pin: Pin) -> Package:
    return Package(name=pin.name, version=pin.version, pinned=True, pinned_at=pin.where, channel=pin.channel)


def _changes(
    packages: list[Package], installed: dict[str, Package], constraints: dict[str, list[tuple[str, str]]]
) -> list[tuple[str, str]]:
    """(name, "keras 3.15.1 -> 2.12.0") for each installed distribution the install replaces."""
    from compataudit.sources.resolve import satisfies

    out = []
    for pkg in packages:
        before = installed.get(pkg.name)
        if before is not None and before.version != pkg.version:
            out.append((pkg.name, f"{pkg.name} {before.version} -> {pkg.version}"))
    for name, asked in constraints.items():
        before = installed.get(name)
        if before is not None and not satisfies(before.version, [s for s, _ in asked]):
            need = ", ".join(f"{s} ({by})" for s, by in asked)
            out.append((name, f"{name} {before.version} -> a release satisfying {need}"))
    return out


def _with_packages(env: Environment, packages: list[Package], *, layered: bool) -> Environment:
    """``env`` with ``packages`` added or replacing installed ones (and their build facts)."""
    from compataudit.sources.stack_files import BUILD_OF, replace_packages

    if not layered:
        return replace_packages(env, packages)
    # pip replaces only the distribution of the same name: tensorflow goes in *beside* an
    # installed tensorflow-cpu. What already satisfies the file stays, with its build facts.
    merged = {p.name: p for p in env.packages}
    dropped = set()
    for pkg in packages:
        before = merged.get(pkg.name)
        if before is not None and before.version == pkg.version:
            merged[pkg.name] = replace(before, requested=pkg.requested, pinned_at=pkg.pinned_at)
            continue
        merged[pkg.name] = pkg
        if pkg.name in BUILD_OF:
            dropped.add(BUILD_OF[pkg.name])
    builds = tuple(b for b in env.builds if b.framework not in dropped)
    return replace(env, packages=tuple(sorted(merged.values(), key=lambda p: p.name)), builds=builds)
