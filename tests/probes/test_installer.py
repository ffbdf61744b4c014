"""Which installer manages an environment, from the files installers leave behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compataudit.probes.installer import detect_installer, self_upgrade_command, stack_file_installer

# pyvenv.cfg as `python -m venv` (3.11) and uv 0.13 write them.
VENV_CFG = "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"
UV_CFG = "home = /usr/bin\nimplementation = CPython\nuv = 0.13.10\nversion_info = 3.11.7\n"
CONDA_HISTORY = (
    "==> 2025-11-03 10:12:01 <==\n# cmd: /opt/conda/bin/conda create -n ml python=3.11\n"
    "+conda-forge/linux-64::python-3.11.7\n"
    "==> 2025-11-03 10:15:44 <==\n# cmd: /opt/conda/bin/mamba install -c conda-forge numpy\n"
)


def _venv(where: Path, cfg: str) -> Path:
    where.mkdir(parents=True)
    (where / "pyvenv.cfg").write_text(cfg, encoding="utf-8")
    return where


def test_plain_venv_is_pip(tmp_path: Path) -> None:
    assert detect_installer(_venv(tmp_path / "env", VENV_CFG)) == "pip"


def test_uv_venv_is_uv_and_beside_a_lock_a_uv_project(tmp_path: Path) -> None:
    assert detect_installer(_venv(tmp_path / "a" / ".venv", UV_CFG)) == "uv"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "uv.lock").write_text("version = 1\n", encoding="utf-8")
    assert detect_installer(_venv(tmp_path / "b" / ".venv", UV_CFG)) == "uv-project"


def test_poetry_project_or_poetry_cache(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "poetry.lock").write_text("", encoding="utf-8")
    assert detect_installer(_venv(tmp_path / "p" / ".venv", VENV_CFG)) == "poetry"
    cache = tmp_path / "pypoetry" / "virtualenvs" / "demo-AbC123-py3.11"
    assert detect_installer(_venv(cache, VENV_CFG)) == "poetry"


def test_conda_and_mamba_from_the_history(tmp_path: Path) -> None:
    (tmp_path / "c" / "conda-meta").mkdir(parents=True)
    assert detect_installer(tmp_path / "c") == "conda"
    (tmp_path / "c" / "conda-meta" / "history").write_text(CONDA_HISTORY, encoding="utf-8")
    assert detect_installer(tmp_path / "c") == "mamba"


def test_no_prefix_is_unknown_and_a_base_interpreter_is_pip(tmp_path: Path) -> None:
    assert detect_installer(None) is None
    assert detect_installer(tmp_path) == "pip"


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("pipx", "venvs", "compataudit"), "pipx upgrade compataudit"),
        (("uv", "tools", "compataudit"), "uv tool upgrade compataudit"),
        (("env",), "pip install -U compataudit"),
    ],
)
def test_self_upgrade_follows_how_compataudit_was_installed(
    tmp_path: Path, parts: tuple[str, ...], expected: str
) -> None:
    prefix = tmp_path.joinpath(*parts)
    prefix.mkdir(parents=True)
    assert self_upgrade_command(str(prefix)) == expected


def test_a_real_uv_venv_is_uv(tmp_path: Path) -> None:
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is not installed beside this interpreter")
    subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(tmp_path / "v")], check=True)
    assert detect_installer(tmp_path / "v") == "uv"


@pytest.mark.parametrize(
    ("pinned_at", "expected"),
    [
        (["proj/uv.lock:9", "proj/uv.lock:18"], "uv-project"),
        (["poetry.lock:4"], "poetry"),
        (["environment.yml:9"], "conda"),
        (["requirements.txt:1"], None),
        (["uv.lock:9", "poetry.lock:4"], None),  # two installers: no one dialect
        ([], None),
    ],
)
def test_stack_file_installer(pinned_at: list[str], expected: str | None) -> None:
    assert stack_file_installer(pinned_at) == expected
