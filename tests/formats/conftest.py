"""The one shared report every format module is snapshot-tested against.

Built from model values (no probing): a CUDA torch beside a mismatched
torchvision on an old driver, an error-, warning- and info-level finding each,
one finding about a requirements file given on the command line, and smoke
results of every interesting status.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from compataudit.formats import RenderContext
from compataudit.model import Report
from tests.formats.sample_report import make_report

SNAPSHOTS = Path(__file__).parent / "snapshots"


REQUIREMENTS_TXT = "# pinned stack\nnumpy==2.1.3\n\ntorch==2.5.1+cu124\ntorchvision==0.19.1\n"


@pytest.fixture
def report() -> Report:
    return make_report()


@pytest.fixture
def requirements_ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RenderContext:
    """A context naming a requirements file (relative, as typed on the command line)."""
    monkeypatch.chdir(tmp_path)
    Path("requirements.txt").write_text(REQUIREMENTS_TXT, encoding="utf-8")
    return RenderContext(input_files=("requirements.txt",))


def check_snapshot(name: str, text: str) -> None:
    """Compare ``text`` with ``snapshots/<name>``; COMPATAUDIT_UPDATE_SNAPSHOTS=1 rewrites it."""
    path = SNAPSHOTS / name
    if os.environ.get("COMPATAUDIT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"snapshot {name} missing: rerun with COMPATAUDIT_UPDATE_SNAPSHOTS=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its snapshot"


@pytest.fixture
def snapshot() -> Callable[[str, str], None]:
    """The snapshot comparison, as a fixture (test modules do not import conftest)."""
    return check_snapshot
