"""Keras: a typed view of ``matrices/keras.toml`` and the pairing rules built on it.

Keras 2 (standalone ``keras`` 2.6-2.15) pairs with the TensorFlow minor of the same number;
Keras 3 has Python floors per release and minimum backend versions; ``tf-keras`` pairs with
its TensorFlow minor; ``TF_USE_LEGACY_KERAS`` only counts for a few exact values.
"""

from __future__ import annotations

from typing import Literal, NamedTuple, Protocol

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from compataudit.compat._rows import RowReader, read_rows
from compataudit.compat.matrices import Matrices
from compataudit.errors import MatrixError
from compataudit.model import Environment, Package
from compataudit.versions import in_range, minor_of, parse_version

MATRIX = "keras"


class Keras2Pair(NamedTuple):
    tensorflow: str  # TF minor, "2.15"
    keras: str  # newest keras of that minor, "2.15.0"
    sources: tuple[str, ...]


class Keras3Release(NamedTuple):
    version: str
    requires_python: str
    sources: tuple[str, ...]


class KerasBackend(NamedTuple):
    name: str  # KERAS_BACKEND value
    distribution: str  # the package providing it; "tensorflow" = any TF distribution
    minimum: str | None
    sources: tuple[str, ...]


class TfKerasRelease(NamedTuple):
    version: str
    minor: str
    requires_python: str | None
    tensorflow: str | None  # declared requirement, None before 2.15.1
    sources: tuple[str, ...]


class LegacyKerasSetting(NamedTuple):
    variable: str
    values: tuple[str, ...]
    tensorflow: str  # releases that read the variable
    import_error_from: str  # from this TF minor a recognised value without tf_keras breaks tf.keras
    sources: tuple[str, ...]


class KerasMatrix(NamedTuple):
    keras2: tuple[Keras2Pair, ...]
    keras3: tuple[Keras3Release, ...]  # oldest first
    backends: tuple[KerasBackend, ...]
    tf_keras: tuple[TfKerasRelease, ...]  # oldest first
    legacy: LegacyKerasSetting

    def keras2_for(self, tf_minor: str | None) -> Keras2Pair | None:
        return next((p for p in self.keras2 if p.tensorflow == tf_minor), None)

    def keras3_row(self, version: str | None) -> Keras3Release | None:
        """The Keras 3 row in force for ``version`` (greatest row version not above it)."""
        parsed = parse_version(version)
        if parsed is None or parsed.major != 3:
            return None
        public = Version(parsed.public)
        fitting = [r for r in self.keras3 if Version(r.version) <= public]
        return fitting[-1] if fitting else None

    def keras3_for_python(self, python: str | None) -> list[Keras3Release]:
        """The Keras 3 releases whose Requires-Python admits ``python`` (every one for None or
        an unreadable Python), newest first."""
        return [
            r
            for r in reversed(self.keras3)
            if python is None or in_range(python, r.requires_python) is not False
        ]

    def backend(self, name: str) -> KerasBackend | None:
        return next((b for b in self.backends if b.name == name), None)

    def tf_keras_for(self, tf_minor: str | None) -> TfKerasRelease | None:
        return next((t for t in reversed(self.tf_keras) if t.minor == tf_minor), None)


def keras_matrix(matrices: Matrices) -> KerasMatrix:
    """The validated view of ``keras.toml`` (built once per Matrices)."""
    view = matrices.views.get(MATRIX)
    if isinstance(view, KerasMatrix):
        return view
    legacy = [_legacy(r) for r in read_rows(matrices, MATRIX, "legacy_keras")]
    if len(legacy) != 1:
        path = matrices.directory / "keras.toml"
        raise MatrixError(f"{path}: needs exactly one [[legacy_keras]] row, found {len(legacy)}")
    view = KerasMatrix(
        keras2=tuple(_keras2(r) for r in read_rows(matrices, MATRIX, "keras2")),
        keras3=tuple(
            sorted(
                (_keras3(r) for r in read_rows(matrices, MATRIX, "keras3")), key=lambda r: Version(r.version)
            )
        ),
        backends=tuple(_backend(r) for r in read_rows(matrices, MATRIX, "backend")),
        tf_keras=tuple(
            sorted(
                (_tf_keras(r) for r in read_rows(matrices, MATRIX, "tf_keras")),
                key=lambda r: Version(r.version),
            )
        ),
        legacy=legacy[0],
    )
    matrices.views[MATRIX] = view
    return view


def _required_version(r: RowReader, key: str) -> str:
    value = r.version(key, required=True)
    assert value is not None
    return value


def _keras2(r: RowReader) -> Keras2Pair:
    keras = _required_version(r, "keras")
    tensorflow = r.required("tensorflow")
    if minor_of(tensorflow) != tensorflow:
        raise r.fail("tensorflow", "a major.minor version")
    return Keras2Pair(tensorflow, keras, r.sources())


def _keras3(r: RowReader) -> Keras3Release:
    python = r.spec("requires_python", required=True) or ""
    return Keras3Release(_required_version(r, "version"), python, r.sources())


def _backend(r: RowReader) -> KerasBackend:
    return KerasBackend(r.required("name"), r.required("distribution"), r.version("minimum"), r.sources())


def _tf_keras(r: RowReader) -> TfKerasRelease:
    version = _required_version(r, "version")
    return TfKerasRelease(
        version, minor_of(version) or "", r.spec("requires_python"), r.spec("tensorflow"), r.sources()
    )


def _legacy(r: RowReader) -> LegacyKerasSetting:
    values = r.texts("values")
    if not values:
        raise r.fail("values", "a non-empty list of strings")
    start = r.version("import_error_from", required=True) or ""
    tensorflow = r.spec("tensorflow", required=True) or ""
    return LegacyKerasSetting(r.required("variable"), values, tensorflow, start, r.sources())


# --------------------------------------------------------------------------- queries


def installed_keras(env: Environment) -> Package | None:
    """The standalone ``keras`` distribution, or None."""
    return env.package("keras")


class TfKerasFacts(Protocol):
    """What a TensorFlow release says about keras; :class:`~compataudit.compat.tensorflow.TfRelease`
    is one (taken structurally, so this module does not import the TensorFlow view)."""

    @property
    def minor(self) -> str: ...

    @property
    def keras(self) -> str | None: ...


def keras_major(pkg: Package | None) -> int | None:
    v = parse_version(pkg.version) if pkg is not None else None
    return v.major if v is not None else None


def tf_wants_keras3(release: TfKerasFacts) -> bool | None:
    """Does this TF release require Keras 3 (True), Keras 2 (False), or no keras package (None)?"""
    floor = _floor(release.keras or "")
    parsed = parse_version(floor)
    if parsed is None:
        return None
    return parsed.major >= 3


def keras_requirement(km: KerasMatrix, release: TfKerasFacts, python: str) -> str | Literal[False] | None:
    """The keras requirement to install beside ``release`` on ``python``.

    None: the release needs no keras package (TF 2.4/2.5); False: no keras it accepts supports
    this Python. Keras 2 eras pin the TF minor's keras exactly; Keras 3 eras add an upper bound
    where a newer Keras 3 needs a newer Python.
    """
    wants3 = tf_wants_keras3(release)
    if wants3 is None:
        return None
    if not wants3:
        pair = km.keras2_for(release.minor)
        return f"keras=={pair.keras}" if pair else None
    spec = release.keras or ""
    floor = _floor(spec)
    row = km.keras3_row(floor)
    if row is not None and in_range(python, row.requires_python) is False:
        return False
    for later in km.keras3:
        if floor is not None and Version(later.version) <= Version(floor):
            continue
        if in_range(python, later.requires_python) is False:
            return f"keras{spec},<{later.version}"
    return f"keras{spec}"


def _floor(spec: str) -> str | None:
    """The lowest version a specifier admits (``>=``, ``~=``, ``==``, ``>`` bound), or None."""
    try:
        specs = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    floors = [s.version for s in specs if s.operator in (">=", "~=", "==", ">")]
    return max(floors, key=Version) if floors else None


def tf_keras_requirement(km: KerasMatrix, tf_minor: str, python: str) -> str | None:
    """``tf-keras~=2.N.0`` for TF minor 2.N where such a tf-keras exists and supports ``python``."""
    row = km.tf_keras_for(tf_minor)
    if row is None:
        return None
    if row.requires_python and in_range(python, row.requires_python) is False:
        return None
    return f"tf-keras~={tf_minor}.0"
