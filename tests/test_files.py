"""Reading named files and writing output atomically."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from compataudit.errors import CompatAuditError
from compataudit.files import read_text_input, write_output


def test_write_output_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_output('{"a": 1}', str(target))
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    with pytest.raises(CompatAuditError, match="does not exist"):
        write_output("x", str(tmp_path / "missing" / "out.json"))


def test_write_output_to_a_stream() -> None:
    out = io.StringIO()
    write_output("text", None, stream=out)
    assert out.getvalue() == "text\n"


def test_read_text_input_errors(tmp_path: Path) -> None:
    with pytest.raises(CompatAuditError, match="no such file"):
        read_text_input(str(tmp_path / "nope"), "requirements file")
    with pytest.raises(CompatAuditError, match="is a directory"):
        read_text_input(str(tmp_path), "requirements file")


def test_a_new_output_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_output("{}", str(tmp_path / "report.json"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644  # not mkstemp's 0600


def test_a_replaced_output_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    target.chmod(0o664)  # group-writable, for the fleet collector
    write_output("new", str(target))
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o664


def test_the_temporary_file_goes_whatever_the_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_output("x", str(tmp_path / "out.json"))
    assert list(tmp_path.iterdir()) == []


def test_a_stdout_that_cannot_encode_the_markers_gets_ascii() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    write_output("✗ torch → 2.5 · ✔ ok — café", None, stream=out)
    assert raw.getvalue() == b"x torch -> 2.5 - ok ok -- caf?\n"
