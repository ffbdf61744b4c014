"""Broken copies of the shipped matrices, for the loaders' error tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from compataudit.compat.matrices import Matrices, default_directory


def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> Matrices:
    """A copy of the shipped matrices under ``tmp_path`` in which the first ``old`` of
    ``name``.toml (it must be there) reads ``new``."""
    target = tmp_path / "matrices"
    shutil.copytree(default_directory(), target)
    path = target / f"{name}.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return Matrices(target)
