"""Suite-wide fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from compataudit.compat.matrices import Matrices, load_matrices

# Lint fixtures include pytest-shaped files (test_*.py) that are data, not tests.
collect_ignore_glob = ["fixtures/*"]


@pytest.fixture(autouse=True)
def _private_cache_dir(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Keep lint's per-file cache out of the real user cache directory."""
    where = tmp_path_factory.getbasetemp() / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(where))
    return where


@pytest.fixture(scope="module")
def matrices() -> Matrices:
    """The shipped matrices, loaded once per test module."""
    return load_matrices()
