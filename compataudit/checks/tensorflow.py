"""TensorFlow against its own requirements: Python, numpy, protobuf, ml-dtypes, unknown releases.

Every range comes from ``matrices/tensorflow.toml`` (the wheels' metadata and the tested build
configurations); a release the matrices do not know gets one MAT001 info and no judgement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from compataudit.checks import CheckContext
from compataudit.compat import keras as keras_compat
from compataudit.compat.tensorflow import (
    TfRelease,
    installed_tensorflow,
    numpy_range,
    python_ok,
    tensorflow_matrix,
)
from compataudit.model import Finding, Package, Severity
from compataudit.rules import finding
from compataudit.versions import in_range, minor_of, parse_version


def _installed(ctx: CheckContext) -> tuple[Package, TfRelease | None] | None:
    pkg = installed_tensorflow(ctx.env, ctx.matrices)
    if pkg is None or parse_version(pkg.version) is None:
        return None  # absent, or an unreadable version (PKG005's business)
    return pkg, tensorflow_matrix(ctx.matrices).release_for(pkg.version)


def _known(ctx: CheckContext) -> tuple[Package, TfRelease] | None:
    found = _installed(ctx)
    if found is None or found[1] is None:
        return None
    return found[0], found[1]


def check_tensorflow_known(ctx: CheckContext) -> Iterator[Finding]:
    """MAT001: a TensorFlow release (nightly, vendor build, newer than the data) with no row."""
    found = _installed(ctx)
    if found is None or found[1] is not None:
        return
    pkg, _ = found
    tfm = tensorflow_matrix(ctx.matrices)
    known = f"{tfm.releases[0].minor}-{tfm.releases[-1].minor}" if tfm.releases else "none"
    variant = tfm.variant(pkg.name)
    yield finding(
        "MAT001",
        f"TensorFlow {pkg.version} is not in compataudit's compatibility data",
        f"{pkg.name} {pkg.version}: the matrices describe TensorFlow {known}; its Python, CUDA, "
        "numpy, protobuf and Keras requirements are not checked.",
        components=[pkg.name],
        sources=variant.sources if variant else (),
    )


def check_tensorflow_python(ctx: CheckContext) -> Iterator[Finding]:
    """PY001: the interpreter outside the release's tested Python range / Requires-Python."""
    found = _known(ctx)
    if found is None:
        return
    pkg, rel = found
    python = ctx.env.python.version
    if python_ok(rel, python) is not False:
        return
    py_minor = minor_of(python) or python
    declared = f" (Requires-Python {rel.requires_python})" if rel.requires_python else ""
    other = _newest_release_for_python(ctx, python)
    fix = None
    detail = (
        f"{pkg.name} {pkg.version} is built and tested for Python {_py_words(rel.python)}"
        f"{declared}; this environment has Python {python}."
    )
    if other is not None:
        km = keras_compat.keras_matrix(ctx.matrices)
        keras = keras_compat.keras_requirement(km, other, python)
        words = [f'"{pkg.name}=={other.newest_patch}"'] + ([f'"{keras}"'] if keras else [])
        fix = "pip install " + " ".join(words)
        detail += (
            f" TensorFlow {other.minor} supports Python {py_minor}; or keep TensorFlow "
            f"{rel.minor} with Python {_py_words(rel.python)}."
        )
    else:
        fix = f"Use Python {_py_words(rel.python)} for TensorFlow {rel.minor}"
    yield finding(
        "PY001",
        f"TensorFlow {rel.minor} does not support Python {py_minor}",
        detail,
        components=[pkg.name, "python"],
        fix=fix,
        sources=rel.sources + (other.sources if other else ()),
    )


def _newest_release_for_python(ctx: CheckContext, python: str) -> TfRelease | None:
    for rel in tensorflow_matrix(ctx.matrices).newest_per_minor():
        if python_ok(rel, python) is True:
            return rel
    return None


def _py_words(spec: str) -> str:
    """``>=3.9,<3.12`` -> ``3.9-3.11`` (the way the tested-configurations table writes it)."""
    low = high = None
    for s in SpecifierSet(spec):
        if s.operator == ">=":
            low = s.version
        elif s.operator == "<":
            v = Version(s.version)
            high = f"{v.major}.{v.minor - 1}" if v.minor > 0 else None
    return f"{low}-{high}" if low and high else spec


def check_tensorflow_numpy(ctx: CheckContext) -> Iterator[Finding]:
    """NPY001: numpy outside the release's range (numpy 2 with a TF built against numpy 1)."""
    found = _known(ctx)
    if found is None:
        return
    pkg, rel = found
    numpy = ctx.env.package("numpy")
    spec = numpy_range(rel)
    if numpy is None or spec is None or in_range(numpy.version, spec) is not False:
        return
    built = ""
    if rel.numpy_major == 1 and (parse_version(numpy.version) or Version("0")).major >= 2:
        built = " and is compiled against NumPy 1.x (2.18 is the first TensorFlow built with NumPy 2)"
    declared = f"requires numpy {rel.numpy}" if rel.numpy else "declares no numpy range"
    yield finding(
        "NPY001",
        f"numpy {numpy.version} does not work with TensorFlow {rel.minor}",
        f"{pkg.name} {pkg.version} {declared}{built}; installed numpy {numpy.version}.",
        components=[pkg.name, "numpy"],
        fix=f'pip install "numpy{_repair_spec(numpy.version, spec)}"',
        sources=rel.sources,
    )


def check_tensorflow_protobuf(ctx: CheckContext) -> Iterator[Finding]:
    """DEP001: protobuf outside the release's declared range."""
    yield from _dependency(ctx, "protobuf", "DEP001")


def check_tensorflow_ml_dtypes(ctx: CheckContext) -> Iterator[Finding]:
    """DEP002: ml-dtypes outside the release's declared range (TF >= 2.14)."""
    yield from _dependency(ctx, "ml-dtypes", "DEP002")


def _dependency(ctx: CheckContext, name: str, code: str) -> Iterator[Finding]:
    found = _known(ctx)
    if found is None:
        return
    pkg, rel = found
    spec = rel.protobuf if name == "protobuf" else rel.ml_dtypes
    dep = ctx.env.package(name)
    if dep is None or spec is None or in_range(dep.version, spec) is not False:
        return
    yield finding(
        code,
        f"{name} {dep.version} is outside TensorFlow {rel.minor}'s range",
        f"{pkg.name} {pkg.version} requires {name} {spec}; installed {name} {dep.version}.",
        components=[pkg.name, name],
        fix=f'pip install "{name}{_repair_spec(dep.version, spec)}"',
        sources=rel.sources,
        severity=Severity.ERROR,
    )


def _repair_spec(version: str, spec: str) -> str:
    """The part of ``spec`` that ``version`` breaks, written short: ``<2``, not the whole range.

    Only upper bounds are worth shortening (pip then keeps every other bound itself); anything
    else gives the whole range.
    """
    public = Version((parse_version(version) or Version("0")).public)
    broken = [s for s in SpecifierSet(spec) if not s.contains(public, prereleases=True)]
    if broken and all(s.operator in ("<", "<=") for s in broken):
        return ",".join(s.operator + re.sub(r"(?<=\d)(\.0)+$", "", s.version) for s in broken)
    return ",".join(sorted(str(s) for s in SpecifierSet(spec)))


CHECKS = (
    check_tensorflow_known,
    check_tensorflow_python,
    check_tensorflow_numpy,
    check_tensorflow_protobuf,
    check_tensorflow_ml_dtypes,
)
