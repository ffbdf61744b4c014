"""Policy pins: the ``require`` list of ``[tool.compataudit]`` (POL001).

``require = ["torch>=2.4", "python>=3.10"]`` states what an organisation allows.
Each entry is a PEP 508 requirement over a distribution, or over the
pseudo-component ``python`` (the audited interpreter). A pin constrains what
is installed: a distribution that is not installed does not violate it (use the
project's own dependencies to demand a package). Markers are evaluated against
the audited environment, so ``"numpy<2; python_version<'3.10'"`` works for
snapshots and what-if runs too. A pin on ``tensorflow`` is met by any
TensorFlow variant (tensorflow-cpu, ...), as for dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from compataudit.checks import CheckContext
from compataudit.distributions import TENSORFLOW, canonical_name
from compataudit.model import Environment, Finding
from compataudit.rules import finding
from compataudit.versions import in_range, marker_environment

if TYPE_CHECKING:  # packaging.requirements is imported only when a pin is configured
    from packaging.requirements import Requirement


def _installed(env: Environment, name: str) -> tuple[str, str] | None:
    """(distribution, version) that answers a pin on ``name``; None when absent."""
    if name == "python":
        return "python", env.python.version
    candidates = TENSORFLOW if name == "tensorflow" else (name,)
    for candidate in candidates:
        pkg = env.package(candidate)
        if pkg is not None:
            return pkg.name, pkg.version
    return None


def _applies(req: Requirement, env: Environment) -> bool:
    if req.marker is None:
        return True
    markers = marker_environment(env)
    if markers is None:
        return False  # the audited Python is unknown: cannot tell, stay silent
    from packaging.markers import InvalidMarker, UndefinedEnvironmentName

    try:
        return req.marker.evaluate(markers)
    except (InvalidMarker, UndefinedEnvironmentName):
        return False


def _pins(raw: object) -> Iterable[str]:
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, (list, tuple)):
        return [p for p in raw if isinstance(p, str)]
    return ()


def check_requirements(ctx: CheckContext) -> Iterator[Finding]:
    """POL001 for each ``require`` pin the environment violates."""
    pins = _pins(ctx.options.get("require", ()))
    if not pins:
        return
    from packaging.requirements import InvalidRequirement, Requirement

    for text in pins:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue  # the config loader rejects these; a check never raises
        name = canonical_name(req.name)
        if not str(req.specifier) or not _applies(req, ctx.env):
            continue
        found = _installed(ctx.env, name)
        if found is None:
            continue
        dist, version = found
        inside = in_range(version, str(req.specifier))
        if inside is None or inside:
            continue  # unreadable versions are PKG005's business
        if name == "python":
            fix = f"Use a Python interpreter {req.specifier}."
        else:
            fix = f"pip install '{dist}{req.specifier}'"
        yield finding(
            "POL001",
            f"{dist} {version} violates the policy pin {text.strip()}",
            f"The configuration's `require` list allows {name} {req.specifier} only; "
            f"this environment has {dist} {version}.",
            components=(dist,),
            fix=fix,
        )


CHECKS = (check_requirements,)
