"""Offline resolution: what pip would install for a file's requirements, from the release data.

For every requirement on a distribution the release data knows (torch, torchvision, tensorflow,
keras, jax, …) the resolver picks what pip's resolver picks: the newest final release that
satisfies every requirement on it, whose Requires-Python and wheels admit the audited Python,
and whose own Requires-Dist (markers evaluated on the audited machine) can be satisfied too —
backtracking like pip when a newer candidate leads nowhere (``torchvision>=0.19`` pulls the
torch its release pins). With ``installed`` (layering onto an environment) an installed release
that satisfies everything is kept, as ``pip install -r`` keeps it (``--upgrade-strategy
only-if-needed``).

Requirements on other distributions are left to the caller: their releases are unknown here,
so what they constrain (``numpy<1.24`` from TensorFlow 2.12) is returned, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from compataudit.compat.releases import Release, ReleaseIndex
from compataudit.inputs import Want
from compataudit.versions import marker_applies, parse_requirement

_BUDGET = 5000  # candidate tries before giving up (pip's own resolver gives up too)


@dataclass(frozen=True)
class Pick:
    """A release the installer would install."""

    name: str
    version: str
    where: str  # the line that asks for it (or the release that requires it)
    requested: str | None  # the requirement as written; None when only a dependency asks for it
    required_by: str | None = None  # "torchvision 0.20.1" for a dependency nobody wrote


@dataclass
class Resolution:
    picks: list[Pick] = field(default_factory=list)
    unresolved: list[Want] = field(default_factory=list)  # no release in the data satisfies them
    # Requirements of the picked releases on distributions the data has no releases of.
    constraints: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # name -> (spec, by)
    conflict: str | None = None  # why no set of releases satisfies everything


def _spec(text: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def _public(version: str) -> Version | None:
    try:
        return Version(Version(version).public)
    except InvalidVersion:
        return None


def satisfies(version: str, specs: Sequence[str]) -> bool:
    """pip's matching: a local label is ignored unless the specifier names one."""
    try:
        full = Version(version)
    except InvalidVersion:
        return False
    for text in specs:
        if "+" in text and not full.local:
            # The index lists public versions; a local label (+cu124) names a build of one.
            text = re.sub(r"\+[A-Za-z0-9.]+", "", text)
        spec = _spec(text)
        if spec is None:
            return False
        if any("+" in s.version for s in spec):
            if not spec.contains(full, prereleases=True):
                return False
        elif not spec.contains(Version(full.public), prereleases=True):
            return False
    return True


def _python_fits(release: Release, python: str | None) -> bool:
    if not python:
        return True
    if release.requires_python:
        spec = _spec(release.requires_python)
        if spec is not None and not spec.contains(python, prereleases=True):
            return False
    tags = release.python_tags
    parts = python.split(".")
    cp = f"cp{parts[0]}{parts[1]}" if len(parts) >= 2 else ""
    binary_only = tags and all(t.startswith("cp") for t in tags)
    return not binary_only or cp in tags


def _probe_versions(specs: Sequence[str]) -> list[str]:
    """Versions to try a set of specifiers on: each bound, just below it, and a huge one."""
    out = ["9999"]
    for text in specs:
        for spec in _spec(text) or ():
            version = _public(spec.version.rstrip(".*"))
            if version is None:
                continue
            release = list(version.release)
            out.append(str(version))
            out.append(".".join(map(str, [*release, 999])))
            for i in range(len(release) - 1, -1, -1):
                if release[i] > 0:
                    below = [*release[:i], release[i] - 1, 999]
                    out.append(".".join(map(str, below)))
                    break
    return out


def satisfiable(specs: Sequence[str]) -> bool:
    """Can one release satisfy every specifier? Tried on versions around their bounds.

    For distributions without release data (numpy, protobuf): ``<1.24`` with ``>=2.0`` cannot
    both hold, which is what makes pip pass over a candidate.
    """
    specs = [s for s in specs if s]
    return not specs or any(satisfies(v, specs) for v in _probe_versions(specs))


@dataclass(frozen=True)
class _Asked:
    """One requirement on a name: its specifier, who asks (a file line or "torch 2.5.1"), and the
    distribution that asks (None for the file itself)."""

    spec: str
    by: str
    owner: str | None


HasVariant = Callable[[str, str, str], bool]  # (name, version, variant): is that build published?
_TORCH_FAMILY = ("torch", "torchvision", "torchaudio")


class _Solver:
    def __init__(
        self,
        index: ReleaseIndex,
        python: str | None,
        markers: dict[str, str],
        only: dict[str, str] | None = None,
        has_variant: HasVariant | None = None,
    ) -> None:
        self.index = index
        self.python = python
        self.markers = markers
        self.budget = _BUDGET
        self.only = only or {}  # name -> the variant of the only index it comes from
        self.has_variant = has_variant

    def candidates(self, name: str, specs: Sequence[str], prefer: str | None) -> list[Release]:
        releases = [r for r in self.index.of(name) if _public(r.version) is not None]
        allow_pre = any(_spec(s) is not None and any(x.prereleases for x in _spec(s) or ()) for s in specs)
        fitting = [
            r
            for r in releases
            if (allow_pre or not (_public(r.version) or Version("0")).is_prerelease)
            and satisfies(r.version, specs)
            and _python_fits(r, self.python)
            and self._published(name, r.version)
        ]
        fitting.sort(key=lambda r: _public(r.version) or Version("0"), reverse=True)
        if prefer is not None:
            kept = [r for r in fitting if _public(r.version) == _public(prefer)]
            fitting = kept + [r for r in fitting if r not in kept]
        return fitting

    def _published(self, name: str, version: str) -> bool:
        """From a PyTorch variant index only the releases built for that variant come."""
        variant = self.only.get(name)
        return variant is None or self.has_variant is None or self.has_variant(name, version, variant)

    def requirements(self, release: Release, extras: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
        out = []
        for line in release.requires:
            parsed = parse_requirement(line)
            if parsed is None:
                continue
            holds = [marker_applies(parsed.marker, {**self.markers, "extra": e}) for e in ("", *extras)]
            if any(h is True for h in holds):
                out.append((parsed.name, parsed.specifier, parsed.marker))
        return out

    def solve(
        self,
        pending: list[str],
        chosen: dict[str, Release],
        specs: dict[str, list[_Asked]],
        extras: dict[str, tuple[str, ...]],
        installed: dict[str, str],
    ) -> tuple[dict[str, Release] | None, set[str]]:
        """A choice for every pending name, or None and the names whose choices caused the failure.

        The culprits make this conflict-directed backjumping: a choice that played no part in a
        failure below it is not varied (pip's resolver backjumps likewise).
        """
        if not pending:
            return chosen, set()
        name, rest = pending[0], pending[1:]
        asked = specs.get(name, [])
        wanted = [a.spec for a in asked]
        culprits = {a.owner for a in asked if a.owner}
        for release in self.candidates(name, wanted, installed.get(name)):
            self.budget -= 1
            if self.budget < 0:
                return None, culprits | set(chosen)
            deps = self.requirements(release, extras.get(name, ()))
            new_specs = {k: list(v) for k, v in specs.items()}
            label = f"{name} {release.version}"
            for dep, spec, _ in deps:
                new_specs.setdefault(dep, []).append(_Asked(spec, label, name))
            clash = self._clash(deps, chosen, new_specs, name)
            if clash is not None:
                culprits |= clash
                continue
            follow = [d for d, _, _ in deps if self.index.knows(d) and d not in chosen and d not in rest]
            result, below = self.solve(
                [*rest, *follow], {**chosen, name: release}, new_specs, extras, installed
            )
            if result is not None:
                specs.clear()
                specs.update(new_specs)
                return result, set()
            if name not in below:
                return None, below  # this choice played no part: backjump over it
            culprits |= below - {name}
        return None, culprits

    def _clash(
        self,
        deps: list[tuple[str, str, str | None]],
        chosen: dict[str, Release],
        specs: dict[str, list[_Asked]],
        name: str,
    ) -> set[str] | None:
        """None when ``name``'s requirements fit what is chosen; else the names involved."""
        for dep, _, _ in deps:
            asked = specs[dep]
            if dep in chosen and not satisfies(chosen[dep].version, [a.spec for a in asked]):
                return {dep} | {a.owner for a in asked if a.owner and a.owner != name}
            if not self.index.knows(dep) and not satisfiable([a.spec for a in asked]):
                return {a.owner for a in asked if a.owner and a.owner != name}
        return None


def resolve(
    wants: Sequence[Want],
    index: ReleaseIndex,
    *,
    python: str | None,
    markers: dict[str, str],
    installed: dict[str, str] | None = None,
    has_variant: HasVariant | None = None,
) -> Resolution:
    """What the installer would pick for ``wants`` on the audited Python and platform.

    ``has_variant`` says which releases a PyTorch variant index carries: a requirement served only
    by that index (``--index-url``, uv and Poetry sources) gets one of those; served by it as an
    extra index, the variant's build where it has the release pip picks, PyPI's otherwise.
    """
    result = Resolution()
    known = [w for w in wants if index.knows(w.name)]
    if not known:
        return result
    # --index-url serves the whole family: torch pulled in by torchvision comes from it too.
    family_only = next(
        (w.variant for w in known if w.variant and w.index_only and w.name in _TORCH_FAMILY), None
    )
    only = {w.name: w.variant for w in known if w.variant and w.index_only}
    if family_only:
        only = {**dict.fromkeys(_TORCH_FAMILY, family_only), **only}
    solver = _Solver(index, python, markers, only, has_variant)
    for want in list(known):
        if not solver.candidates(want.name, [w.specifier for w in known if w.name == want.name], None):
            result.unresolved.append(want)  # e.g. a release older than the data
    known = [w for w in known if w.name not in {u.name for u in result.unresolved}]
    if not known:
        return result
    specs: dict[str, list[_Asked]] = {}
    extras: dict[str, tuple[str, ...]] = {}
    first: dict[str, Want] = {}
    for want in known:
        specs.setdefault(want.name, []).append(_Asked(want.specifier, want.where, None))
        extras[want.name] = (*extras.get(want.name, ()), *want.extras)
        first.setdefault(want.name, want)
    chosen, _ = solver.solve(list(first), {}, specs, extras, dict(installed or {}))
    if chosen is None:
        return _each_alone(known, solver, result)
    for name, release in chosen.items():
        written = first.get(name)
        version = _written_version(written, release.version, solver)
        if written is None and name in solver.only and "+" not in version:
            version = _labelled(name, version, solver.only[name], solver)
        if written is not None:
            result.picks.append(Pick(name, version, written.where, written.text))
        else:
            by = next((a.by for a in specs.get(name, ()) if a.owner), None)
            result.picks.append(Pick(name, version, by or "", None, required_by=by))
    for name, asked in specs.items():
        if not index.knows(name) and any(a.spec for a in asked):
            result.constraints[name] = [(a.spec, a.by) for a in asked if a.spec]
    return result


def _written_version(want: Want | None, version: str, solver: _Solver | None = None) -> str:
    """An exact pin keeps the local label it was written with (``==2.5.1+cu124``); a
    requirement served by a PyTorch variant index gets that variant's label where it has a build."""
    if want is not None and want.specifier.startswith("==") and "+" in want.specifier:
        pinned = want.specifier[2:].strip()
        if _public(pinned) == _public(version):
            return pinned
    if want is not None and want.variant and "+" not in version:
        return _labelled(want.name, version, want.variant, solver)
    return version


def _labelled(name: str, version: str, variant: str, solver: _Solver | None) -> str:
    has = solver.has_variant if solver is not None else None
    return f"{version}+{variant}" if has is None or has(name, version, variant) else version


def _each_alone(known: Sequence[Want], solver: _Solver, result: Resolution) -> Resolution:
    """No consistent set: each requirement alone, as written, and the conflict said once."""
    seen: set[str] = set()
    for want in known:
        if want.name in seen:
            continue
        seen.add(want.name)
        specs = [w.specifier for w in known if w.name == want.name]
        found = solver.candidates(want.name, specs, None)
        result.picks.append(Pick(want.name, _written_version(want, found[0].version), want.where, want.text))
    written = ", ".join(w.text for w in known)
    result.conflict = f"no releases satisfy {written} together (pip would stop with ResolutionImpossible)"
    return result
