"""The Keras matrix view: schema, Keras 3 Python floors, pairing helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.version import Version

from compataudit.compat import keras as kc
from compataudit.compat.matrices import Matrices, load_matrices
from compataudit.compat.tensorflow import tensorflow_matrix
from compataudit.errors import MatrixError
from tests.compat.matrix_copies import broken_copy


def test_every_row_loads(matrices: Matrices) -> None:
    km = kc.keras_matrix(matrices)
    assert [p.tensorflow for p in km.keras2] == [f"2.{n}" for n in range(6, 16)]
    assert {b.name: b.minimum for b in km.backends} == {
        "tensorflow": "2.16.1",
        "jax": "0.4.20",
        "torch": "2.1.0",
        "numpy": None,
        "openvino": None,
    }
    assert km.legacy.values == ("true", "True", "1")
    assert [t.minor for t in km.tf_keras] == [f"2.{n}" for n in range(14, 22)]
    assert all(s.startswith("https://") for t in km.tf_keras for s in t.sources)
    assert kc.keras_matrix(matrices) is km


@pytest.mark.parametrize(
    ("version", "floor"),
    [
        ("3.0.0", ">=3.9"),
        ("3.3.3", ">=3.9"),  # between rows: the nearest row below
        ("3.10.0", ">=3.9"),
        ("3.11.3", ">=3.10"),
        ("3.12.4", ">=3.10"),
        ("3.13.0", ">=3.11"),
        ("3.15.1", ">=3.11"),
        ("3.16.0.dev2026", ">=3.11"),
        ("2.15.0", None),  # not Keras 3
        ("junk", None),
    ],
)
def test_keras3_python_floor(matrices: Matrices, version: str, floor: str | None) -> None:
    row = kc.keras_matrix(matrices).keras3_row(version)
    assert (row.requires_python if row else None) == floor


@pytest.mark.parametrize(
    ("python", "included", "excluded"),
    [
        (None, {"3.0.0", "3.13.0"}, set()),  # every row
        ("3.12", {"3.0.0", "3.13.0"}, set()),
        ("3.10.4", {"3.0.0", "3.12.0"}, {"3.13.0"}),  # keras 3.13.0: Requires-Python >=3.11
        ("3.9", {"3.0.0", "3.10.0"}, {"3.11.0", "3.13.0"}),  # keras 3.11.0: >=3.10
        ("3.8", set(), {"3.0.0"}),  # keras 3.0.0: >=3.9
        ("three", {"3.0.0", "3.13.0"}, set()),  # unreadable: nothing is ruled out
    ],
)
def test_keras3_for_python(
    matrices: Matrices, python: str | None, included: set[str], excluded: set[str]
) -> None:
    km = kc.keras_matrix(matrices)
    found = [r.version for r in km.keras3_for_python(python)]
    assert included <= set(found) and not excluded & set(found), found
    assert found == sorted(found, key=Version, reverse=True)  # newest first
    if python is None:
        assert found == [r.version for r in reversed(km.keras3)]


@pytest.mark.parametrize(
    ("tf", "python", "expected"),
    [
        ("2.21.0", "3.10.12", "keras>=3.12.0,<3.13.0"),  # keras >= 3.13 needs Python 3.11
        ("2.21.0", "3.11.9", "keras>=3.12.0"),
        ("2.16.1", "3.9.18", "keras>=3.0.0,<3.11.0"),  # keras >= 3.11 needs Python 3.10
        ("2.15.1", "3.11.9", "keras==2.15.0"),
        ("2.13.0", "3.8.18", "keras==2.13.1"),  # there is no keras 2.13.0
        ("2.6.0", "3.9.7", "keras==2.6.0"),
        ("2.5.0", "3.8.10", None),  # keras lived in TF / keras-nightly: nothing to install
        ("2.4.0", "3.8.10", None),
    ],
)
def test_keras_requirement(matrices: Matrices, tf: str, python: str, expected: str | None) -> None:
    rel = tensorflow_matrix(matrices).release_for(tf)
    assert rel is not None
    assert kc.keras_requirement(kc.keras_matrix(matrices), rel, python) == expected


@pytest.mark.parametrize(
    ("tf", "wants3"),
    [
        ("2.4.0", None),
        ("2.6.0", False),
        ("2.9.1", False),
        ("2.15.0", False),
        ("2.16.1", True),
        ("2.21.0", True),
    ],
)
def test_tf_wants_keras3(matrices: Matrices, tf: str, wants3: bool | None) -> None:
    rel = tensorflow_matrix(matrices).release_for(tf)
    assert rel is not None
    assert kc.tf_wants_keras3(rel) is wants3


@pytest.mark.parametrize(
    ("minor", "python", "expected"),
    [
        ("2.21", "3.11.9", "tf-keras~=2.21.0"),
        ("2.21", "3.9.18", None),  # tf-keras 2.21.0 requires Python >= 3.10
        ("2.20", "3.9.18", "tf-keras~=2.20.0"),  # only 2.20.1 exists; ~= still matches it
        ("2.15", "3.8.18", "tf-keras~=2.15.0"),
        ("2.13", "3.11.9", None),  # no tf-keras for TF 2.13
    ],
)
def test_tf_keras_requirement(matrices: Matrices, minor: str, python: str, expected: str | None) -> None:
    assert kc.tf_keras_requirement(kc.keras_matrix(matrices), minor, python) == expected


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ('requires_python = ">=3.9"', 'requires_python = "3.9+"', "[[keras3]] row 1"),
        ('minimum = "2.16.1"', 'minimum = "two"', "[[backend]] row 1"),
        ('tensorflow = "2.6"', 'tensorflow = "2.6.0"', "[[keras2]] row 1"),
        ('values = ["true", "True", "1"]', "values = []", "[[legacy_keras]] row 1"),
        ('tensorflow = ">=2.15,<2.16"', 'tensorflow = "2.15"', "[[tf_keras]] row 2"),
    ],
)
def test_malformed_field_names_file_and_row(tmp_path: Path, old: str, new: str, where: str) -> None:
    with pytest.raises(MatrixError) as err:
        kc.keras_matrix(broken_copy(tmp_path, "keras", old, new))
    assert "keras.toml" in str(err.value) and where in str(err.value)


def test_second_legacy_row_is_rejected(tmp_path: Path) -> None:
    extra = (
        '\n[[legacy_keras]]\nvariable = "X"\nvalues = ["1"]\ntensorflow = ">=2"\n'
        'import_error_from = "2.16"\nsource = "https://example.org/"\n'
    )
    dst = tmp_path / "matrices"
    shutil.copytree(load_matrices().directory, dst)
    with (dst / "keras.toml").open("a") as fh:
        fh.write(extra)
    with pytest.raises(MatrixError, match=r"keras\.toml: needs exactly one \[\[legacy_keras\]\] row"):
        kc.keras_matrix(load_matrices(dst))
