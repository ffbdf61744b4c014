"""The matrices loader: locations, generic schema, the pre-parsed copy built wheels carry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compataudit.compat.matrices import (
    COMPILED_NAME,
    compile_directory,
    default_directory,
    load_matrices,
    parse_toml,
)
from compataudit.errors import MatrixError

CHECKOUT = Path(__file__).resolve().parents[1] / "matrices"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "m"
    shutil.copytree(CHECKOUT, target)
    return target


def test_default_directory_works_from_a_checkout() -> None:
    # editable installs have no packaged copy: the checkout's matrices/ is used
    assert (default_directory() / "torch.toml").is_file()


def test_every_file_loads_and_cites_sources() -> None:
    matrices = load_matrices()
    matrices.load_all()
    assert {"torch", "tensorflow", "keras", "cuda", "gpus", "jax"} <= set(matrices.names())


def test_compiled_copy_is_used_and_equals_the_toml(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / COMPILED_NAME).write_text(compile_directory(directory))
    with_copy = load_matrices(directory)
    from_toml = load_matrices(CHECKOUT)
    for name in with_copy.names():
        assert with_copy.get(name) == from_toml.get(name)


def test_compiled_copy_is_ignored_when_the_toml_changed(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / COMPILED_NAME).write_text(compile_directory(directory))
    torch = directory / "torch.toml"
    torch.write_text(torch.read_text().replace('torch = "2.5"', 'torch = "2.5"  # edited', 1))
    compiled = json.loads((directory / COMPILED_NAME).read_text())
    compiled["files"]["torch.toml"]["data"]["schema_version"] = 999  # a stale copy would fail
    (directory / COMPILED_NAME).write_text(json.dumps(compiled))
    assert load_matrices(directory).get("torch")["schema_version"] == 1


@pytest.mark.parametrize("garbage", ["{not json", '{"format": 99, "files": {}}', "[]"])
def test_unreadable_compiled_copy_falls_back_to_toml(tmp_path: Path, garbage: str) -> None:
    directory = _copy(tmp_path)
    (directory / COMPILED_NAME).write_text(garbage)
    assert load_matrices(directory).get("cuda")["schema_version"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('schema_version = 1\n[[release]]\ntorch = "2.5"\n', "row 1: every row needs a 'source'"),
        ('schema_version = 1\n[[release]]\nsource = "ftp://x"\n', "is not a URL"),
        ("schema_version = 2\n", "schema_version must be 1"),
        ("schema_version = \n", "invalid TOML"),
    ],
)
def test_malformed_files_name_file_and_row(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(MatrixError) as info:
        load_matrices(tmp_path).get("bad")
    assert "bad.toml" in str(info.value) and message in str(info.value)


def test_override_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match="not a directory"):
        load_matrices(tmp_path / "missing")
    with pytest.raises(MatrixError, match=r"no \*\.toml files"):
        load_matrices(tmp_path)


def test_parse_toml_rejects_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match="not UTF-8"):
        parse_toml(tmp_path / "x.toml", b"\xff\xfe")
