"""Shared CLI pieces: one-line errors, atomic output, colour rules."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from compataudit.clikit import (
    fail,
    guarded,
    json_error_document,
    read_text_input,
    use_color,
    write_output,
)
from compataudit.errors import CompatAuditError, InputError


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_fail_prints_one_line_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        fail("first line\nsecond line   with   spaces")
    assert info.value.code == 2
    assert capsys.readouterr().err == "compataudit: error: first line\n"


def test_guarded_turns_errors_into_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []

    def boom() -> int:
        raise InputError("snapshot x.json: not valid JSON")

    with pytest.raises(SystemExit) as info:
        guarded(boom, on_error=seen.append)
    assert info.value.code == 2 and seen == ["snapshot x.json: not valid JSON"]
    assert "Traceback" not in capsys.readouterr().err


def test_guarded_internal_fault_is_still_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def bug() -> int:
        table: dict[str, int] = {}
        return table["missing"]

    with pytest.raises(SystemExit) as info:
        guarded(bug)
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "internal error: KeyError" in err


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


def test_json_error_document() -> None:
    doc = json.loads(json_error_document("boom"))
    assert doc["schema_version"] == 1 and doc["error"] == {"message": "boom", "exit_code": 2}


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_use_color(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, expected: bool) -> None:
    for var in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(var, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream = _Tty() if tty else io.StringIO()
    assert use_color(stream) is expected


def test_read_text_input_errors(tmp_path: Path) -> None:
    with pytest.raises(CompatAuditError, match="no such file"):
        read_text_input(str(tmp_path / "nope"), "requirements file")
    with pytest.raises(CompatAuditError, match="is a directory"):
        read_text_input(str(tmp_path), "requirements file")
