"""The README's "Audit what you are about to build" section: its CI command runs on a real lock."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from compataudit.cli.app import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "inputs"


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Audit what you are about to build")
    return text[start : text.index("\n## ", start + 3)]


def test_section_names_every_kind() -> None:
    section = _section()
    for kind in ("uv.lock", "pylock.toml", "poetry.lock", "Pipfile.lock", "environment.yml", "Dockerfile"):
        assert f"`{kind}" in section


def test_ci_example_with_uv_lock_runs(capsys: pytest.CaptureFixture[str]) -> None:
    folded = re.search(r"run: >\n((?:\s{10}.*\n)+)", _section())
    assert folded is not None
    args = shlex.split(" ".join(line.strip() for line in folded.group(1).splitlines()))
    assert args[:2] == ["compataudit", "check"] and "uv.lock" in args
    args[args.index("uv.lock")] = str(FIXTURES / "uv.lock")
    with pytest.raises(SystemExit) as exit_info:
        main(args[1:])
    assert exit_info.value.code == 1  # the recorded lock pins torchvision 0.19.1 under torch 2.5.1
    assert "::error title=TCH001" in capsys.readouterr().out
