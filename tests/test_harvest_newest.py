"""No blind spots in the data: the harvest's newest release of every package is the index's
newest on every CPython it ships for, every family ``newest.toml`` names is harvested, and no
release the matrices name is newer than the newest release the data knows (the yardstick of
MAT001). Offline: reads the recorded harvest (``matrices/harvested/*.json``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from compataudit.compat.matrices import load_matrices, parse_toml
from compataudit.compat.staleness import data_facts
from compataudit.distributions import canonical_name

MATRICES = Path(__file__).resolve().parent.parent / "matrices"


def _harvest() -> dict[str, dict[str, Any]]:
    """package -> its harvest record, over every family file."""
    files = sorted((MATRICES / "harvested").glob("*.json"))
    return {
        name: record
        for path in files
        for name, record in json.loads(path.read_text(encoding="utf-8"))["packages"].items()
    }


HARVEST = _harvest()


def _toml(name: str) -> dict[str, Any]:
    path = MATRICES / f"{name}.toml"
    return parse_toml(path, path.read_bytes())


@pytest.mark.parametrize("package", sorted(HARVEST))
def test_the_recorded_releases_reach_the_index_newest_on_every_python(package: str) -> None:
    record = HARVEST[package]
    by_python = record.get("newest_by_python")
    assert by_python is not None, f"{package}: harvested without asking pip per CPython"
    recorded = [Version(v) for v in record["releases"]]
    if not by_python:  # no wheel pip would install on any CPython (flash-attn: source only)
        assert recorded == [], f"{package}: releases recorded that pip offers on no Python"
        return
    assert recorded, package
    for python, newest in by_python.items():
        assert Version(newest) <= max(recorded), (
            f"{package}: pip offers {newest} on Python {python}, the harvest stops at {max(recorded)}"
        )
        if Version(newest) >= Version(record["since"]):
            assert newest in record["releases"], f"{package} {newest} (Python {python}) is not recorded"


def test_every_family_newest_toml_names_is_harvested_and_agrees() -> None:
    for row in _toml("newest")["newest"]:
        name = canonical_name(row["package"])
        assert name in HARVEST, f"newest.toml names {name}, which the harvest does not record"
        assert row["version"] == max(HARVEST[name]["releases"], key=Version), name


def _named_releases() -> Iterator[tuple[str, str, str]]:
    """(where, package, version) of every exact release the matrices name."""
    for row in _toml("jax")["release"]:
        yield "jax.toml", "jax", row["version"]
        yield "jax.toml", "jaxlib", row["min_jaxlib"]
    for row in _toml("tensorflow")["release"]:
        for key in ("version", "newest_patch"):
            if key in row:
                yield "tensorflow.toml", "tensorflow", row[key]
    for table, other in (("torchvision", "torchvision"), ("torchaudio", "torchaudio")):
        for row in _toml("torch")[table]:
            for torch, version in row.get("pairs", []):
                yield f"torch.toml [[{table}]]", "torch", torch
                yield f"torch.toml [[{table}]]", other, version
    keras = _toml("keras")
    for row in keras["keras3"]:
        yield "keras.toml", "keras", row["version"]
    for row in keras["tf_keras"]:
        yield "keras.toml", "tf-keras", row["version"]


def test_no_release_the_matrices_name_is_newer_than_the_data_knows() -> None:
    newest = data_facts(load_matrices()).newest
    checked = 0
    for where, package, version in _named_releases():
        known = newest.get(package)
        assert known is not None, f"{where}: the data knows no newest {package}"
        assert Version(version) <= Version(known), f"{where}: {package} {version} > newest {known}"
        checked += 1
    assert checked > 250
