"""Which installer manages an environment, read from the files it leaves behind.

* ``conda-meta/`` in the prefix: conda, or mamba when its ``history`` says the last
  command was mamba / micromamba;
* a ``pyvenv.cfg`` with a ``uv = …`` line: a venv uv made - ``uv-project`` when its
  folder sits beside a ``uv.lock``, else ``uv`` (``uv pip``);
* a venv beside a ``poetry.lock``, or in Poetry's own ``virtualenvs`` folder: ``poetry``;
* a venv beside a ``uv.lock``: ``uv-project``; anything else: ``pip``.

Only small text files are read; nothing is run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_HISTORY_CMD = re.compile(r"^# cmd: (\S+)", re.MULTILINE)
_MAX_HISTORY = 4 * 1024 * 1024


def _read(path: Path, limit: int = 64 * 1024) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return ""


def _conda_program(prefix: Path) -> str:
    history = prefix / "conda-meta" / "history"
    try:
        size = history.stat().st_size
        with history.open(encoding="utf-8", errors="replace") as fh:
            fh.seek(max(0, size - _MAX_HISTORY))
            text = fh.read()
    except OSError:
        return "conda"
    commands = _HISTORY_CMD.findall(text)
    last = Path(commands[-1]).name if commands else ""
    return "mamba" if last in ("mamba", "micromamba") or last.startswith("mamba") else "conda"


def detect_installer(prefix: str | Path | None) -> str | None:
    """``pip``, ``uv``, ``uv-project``, ``poetry``, ``conda`` or ``mamba``; None when unknown."""
    if not prefix:
        return None
    root = Path(prefix)
    if (root / "conda-meta").is_dir():
        return _conda_program(root)
    config = root / "pyvenv.cfg"
    if not config.is_file():
        return "pip"  # a system or base interpreter
    project = root.parent
    if (project / "poetry.lock").is_file() or (project.name == "virtualenvs" and "pypoetry" in root.parts):
        return "poetry"
    made_by_uv = re.search(r"^\s*uv\s*=", _read(config), re.MULTILINE) is not None
    if (project / "uv.lock").is_file():
        return "uv-project"
    return "uv" if made_by_uv else "pip"


# Stack files that belong to one installer: fixes for what they pin speak its language.
_STACK_FILES = {
    "uv.lock": "uv-project",
    "poetry.lock": "poetry",
    "environment.yml": "conda",
    "environment.yaml": "conda",
}


def stack_file_installer(pinned_at: list[str]) -> str | None:
    """The installer of the stack file every pin came from (``"uv.lock:12"`` -> ``uv-project``);
    None when they came from no such file or from files of several installers."""
    kinds = {_STACK_FILES.get(Path(where.rsplit(":", 1)[0]).name) for where in pinned_at}
    return kinds.pop() if len(kinds) == 1 else None


def self_upgrade_command(prefix: str | None = None) -> str:
    """How to upgrade compataudit itself, the way it was installed (pipx, uv tool, uv, pip)."""
    root = Path(prefix or sys.prefix)
    parts = [p.lower() for p in root.parts]
    if len(parts) >= 3 and parts[-2] == "venvs" and parts[-3] == "pipx":
        return "pipx upgrade compataudit"
    if len(parts) >= 3 and parts[-2] == "tools" and parts[-3] == "uv":
        return "uv tool upgrade compataudit"
    kind = detect_installer(root)
    if kind in ("uv", "uv-project"):
        return "uv pip install -U compataudit"
    if kind == "poetry":
        return "poetry add compataudit@latest"
    return "pip install -U compataudit"
