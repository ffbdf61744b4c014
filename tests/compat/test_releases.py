"""The release data the resolver reads: the harvest in a checkout, _releases.json in a wheel."""

from __future__ import annotations

import shutil
from pathlib import Path

from compataudit.compat.matrices import load_matrices
from compataudit.compat.releases import RELEASES_NAME, release_index, releases_json


def test_the_harvest_lists_every_release_with_its_requirements() -> None:
    index = release_index(load_matrices())
    torchvision = {r.version: r for r in index.of("torchvision")}
    assert "torch (==2.5.1)" in torchvision["0.20.1"].requires
    # only requirements on distributions the audit cares about are kept
    assert not any(r.startswith("pillow") for r in torchvision["0.20.1"].requires)
    # releases without recorded metadata cannot be resolved through
    assert index.of("tensorflow-gpu") == ()


def test_a_wheel_reads_the_compiled_copy(tmp_path: Path) -> None:
    source = load_matrices().directory
    for toml in source.glob("*.toml"):
        shutil.copy(toml, tmp_path / toml.name)
    (tmp_path / RELEASES_NAME).write_text(releases_json(source), encoding="utf-8")
    wheel_like = release_index(load_matrices(tmp_path))
    checkout = release_index(load_matrices())
    assert wheel_like.releases == checkout.releases


def test_no_release_data_resolves_nothing(tmp_path: Path) -> None:
    for toml in load_matrices().directory.glob("*.toml"):
        shutil.copy(toml, tmp_path / toml.name)
    assert release_index(load_matrices(tmp_path)).releases == {}


def test_a_stale_compiled_copy_is_not_read(tmp_path: Path) -> None:
    import os

    source = load_matrices().directory
    for toml in source.glob("*.toml"):
        shutil.copy(toml, tmp_path / toml.name)
    shutil.copytree(source / "harvested", tmp_path / "harvested")
    (tmp_path / RELEASES_NAME).write_text('{"torch": []}', encoding="utf-8")
    os.utime(tmp_path / RELEASES_NAME, (1, 1))  # older than the harvest: ignored
    assert release_index(load_matrices(tmp_path)).of("torch")
    os.utime(tmp_path / RELEASES_NAME, None)  # newer: read
    assert release_index(load_matrices(tmp_path)).of("torch") == ()
