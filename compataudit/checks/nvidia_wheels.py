"""The nvidia-* CUDA library wheels that torch, TensorFlow and JAX pull in from PyPI.

NVW001: an installed wheel outside the exact (``==``) pin a framework declares - including
pins behind an extra (``tensorflow[and-cuda]``, ``jax-cuda12-plugin[with-cuda]``), which a
plain ``pip check`` never looks at. NVW002: two frameworks pinning one wheel to versions
that cannot both hold. NVW003: wheels of two CUDA majors side by side.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from compataudit.checks import CheckContext, CheckFn
from compataudit.compat.cuda import cuda_view
from compataudit.model import Environment, Finding
from compataudit.rules import finding
from compataudit.versions import (
    in_range,
    marker_applies,
    marker_environment,
    numeric_prefix,
    parse_requirement,
    platform_markers,
)

_SUFFIX_RE = re.compile(r"-cu(\d+)$")
_EXTRA_RE = re.compile(r"extra\s*==\s*['\"]([^'\"]+)['\"]")


@dataclass(frozen=True)
class Pin:
    dependent: str  # the distribution that declares it: "torch"
    dependent_version: str
    wheel: str  # canonical nvidia-* name
    spec: str  # "==9.1.0.70"
    pinned: str  # the version of the == clause: "9.1.0.70" ("9.1.*" keeps its wildcard)


def _applies(marker: str | None, base: dict[str, str]) -> bool:
    """Does the requirement apply here, for any extra it names?

    Extras count: the nvidia-* wheel is installed, so someone asked for the extra.
    """
    if marker is None:
        return True
    extras = set(_EXTRA_RE.findall(marker)) or {""}
    return any(marker_applies(marker, {**base, "extra": extra}) for extra in extras)


def exact_pins(env: Environment) -> list[Pin]:
    """Every ``==`` pin on an nvidia-* wheel in the Requires-Dist of a non-nvidia distribution."""
    pins = []
    # Without a known Python (what-if without --python) python_version markers are
    # judged against this interpreter: nvidia-* pins rarely depend on it.
    base = marker_environment(env) or platform_markers(env)
    for pkg in env.packages:
        if pkg.name.startswith("nvidia-"):
            continue
        for line in pkg.requires:
            if "nvidia" not in line.lower():
                continue  # cheap pre-filter: most lines of most packages are not about CUDA
            req = parse_requirement(line)
            if req is None or not req.name.startswith("nvidia-"):
                continue  # PKG checks report unreadable metadata
            exact = [c[2:] for c in req.specifier.split(",") if c.startswith("==")]
            if exact and _applies(req.marker, base):
                pins.append(Pin(pkg.name, pkg.version, req.name, req.specifier, exact[0].lstrip("=")))
    return pins


def check_pins(ctx: CheckContext) -> Iterator[Finding]:
    """NVW001: an installed nvidia-* wheel outside a framework's exact pin."""
    for pin in exact_pins(ctx.env):
        installed = ctx.env.package(pin.wheel)
        if installed is None or in_range(installed.version, pin.spec) is not False:
            continue  # missing: PKG001; unreadable version: PKG005
        yield finding(
            "NVW001",
            f"{pin.wheel} {installed.version} does not match the pin {pin.spec} of "
            f"{pin.dependent} {pin.dependent_version}",
            f"{pin.dependent} {pin.dependent_version} was built against {pin.wheel}{pin.spec} "
            f"and loads it at import; {installed.version} is installed instead.",
            components=(pin.dependent, pin.wheel),
            fix=f'pip install "{pin.wheel}{pin.spec}"',
            sources=(f"https://pypi.org/project/{pin.dependent}/{pin.dependent_version}/",),
        )


def _compatible(a: Pin, b: Pin) -> bool:
    """Can one version satisfy both pins? One pin's version (a wildcard's prefix) fits the other."""
    va, vb = a.pinned.removesuffix(".*"), b.pinned.removesuffix(".*")
    return in_range(va, b.spec) is not False or in_range(vb, a.spec) is not False


def check_conflicts(ctx: CheckContext) -> Iterator[Finding]:
    """NVW002: two distributions pinning one nvidia-* wheel to versions that cannot both hold."""
    # wheel -> spec -> the pins with it: compare distinct specs only (often hundreds of pins, few specs)
    by_wheel: dict[str, dict[str, list[Pin]]] = {}
    for pin in exact_pins(ctx.env):
        by_wheel.setdefault(pin.wheel, {}).setdefault(pin.spec, []).append(pin)
    for wheel, by_spec in sorted(by_wheel.items()):
        groups = list(by_spec.values())
        for i, group_a in enumerate(groups):
            for group_b in groups[i + 1 :]:
                a, b = group_a[0], group_b[0]
                if _compatible(a, b) or {p.dependent for p in group_a + group_b} == {a.dependent}:
                    continue  # one distribution pinning twice (per-extra pins) is not a conflict
                yield finding(
                    "NVW002",
                    f"{a.dependent} and {b.dependent} pin different {wheel} versions",
                    f"{a.dependent} {a.dependent_version} requires {wheel}{a.spec}; {b.dependent} "
                    f"{b.dependent_version} requires {wheel}{b.spec}. Only one can be installed.",
                    components=(*(p.dependent for p in group_a + group_b), wheel),
                    fix=f"Put {a.dependent} and {b.dependent} in separate environments, or choose "
                    "releases whose pins agree",
                    sources=(
                        f"https://pypi.org/project/{a.dependent}/{a.dependent_version}/",
                        f"https://pypi.org/project/{b.dependent}/{b.dependent_version}/",
                    ),
                )


def wheel_cuda_major(
    name: str, version: str, unsuffixed: frozenset[str], own_numbers: frozenset[str] = frozenset()
) -> int | None:
    """The CUDA major an nvidia-* wheel belongs to: from its -cuNN suffix, or for the
    suffix-less CUDA 13 component wheels from the first part of its version - except the
    libraries numbered on their own (cuFFT 12.x ships with CUDA 13): None, not judged."""
    match = _SUFFIX_RE.search(name)
    if match:
        return int(match.group(1))
    if name in unsuffixed and name not in own_numbers:
        v = numeric_prefix(version)
        return v.release[0] if v else None
    return None


def check_mixed_families(ctx: CheckContext) -> Iterator[Finding]:
    """NVW003: nvidia-* wheels of two CUDA majors installed together."""
    view = cuda_view(ctx.matrices)
    families: dict[int, list[str]] = {}
    for pkg in ctx.env.packages:
        if pkg.name.startswith("nvidia-"):
            major = wheel_cuda_major(
                pkg.name, pkg.version, view.unsuffixed_wheels, view.library_versioned_wheels
            )
            if major is not None:
                families.setdefault(major, []).append(pkg.name)
    if len(families) < 2:
        return
    needed = _required_names(ctx.env)
    majors = sorted(families)
    listing = "; ".join(f"CUDA {m}: {', '.join(sorted(families[m]))}" for m in majors)
    unused = sorted(n for m in majors for n in families[m] if n not in needed)
    if unused:
        fix = "pip uninstall -y " + " ".join(unused)
    else:
        fix = (
            "Every one of these wheels is required by an installed package: "
            "use one environment per CUDA major"
        )
    yield finding(
        "NVW003",
        f"nvidia-* wheels of CUDA {' and '.join(str(m) for m in majors)} are installed together",
        f"{listing}. Whichever library the dynamic loader finds first wins.",
        components=(*sorted(n for m in majors for n in families[m]), "cuda"),
        fix=fix,
        sources=view.wheel_naming_sources,
    )


def _required_names(env: Environment) -> set[str]:
    """Names any installed distribution declares as a dependency (markers ignored: generous)."""
    names: set[str] = set()
    for pkg in env.packages:
        for line in pkg.requires:
            req = parse_requirement(line)
            if req is not None:
                names.add(req.name)
    return names


CHECKS: tuple[CheckFn, ...] = (check_pins, check_conflicts, check_mixed_families)
