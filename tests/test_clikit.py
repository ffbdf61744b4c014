"""Shared CLI pieces: one-line errors, the JSON error document."""

from __future__ import annotations

import json

import pytest

from compataudit.cli.kit import (
    fail,
    guarded,
    json_error_document,
    json_errors_off,
    json_errors_to,
)
from compataudit.errors import InputError


def test_fail_prints_one_line_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        fail("first line\nsecond line   with   spaces")
    assert info.value.code == 2
    assert capsys.readouterr().err == "compataudit: error: first line\n"


def test_guarded_turns_errors_into_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def boom() -> int:
        raise InputError("snapshot x.json: not valid JSON")

    json_errors_to(None)
    try:
        with pytest.raises(SystemExit) as info:
            guarded(boom)
    finally:
        json_errors_off()
    out, err = capsys.readouterr()
    assert info.value.code == 2 and "Traceback" not in err
    assert json.loads(out)["error"] == {"message": "snapshot x.json: not valid JSON", "exit_code": 2}


def test_guarded_internal_fault_is_still_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    def bug() -> int:
        table: dict[str, int] = {}
        return table["missing"]

    with pytest.raises(SystemExit) as info:
        guarded(bug)
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "internal error: KeyError" in err


def test_json_error_document() -> None:
    doc = json.loads(json_error_document("boom"))
    assert doc["schema_version"] == 1 and doc["error"] == {"message": "boom", "exit_code": 2}
