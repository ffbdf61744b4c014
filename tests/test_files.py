"""Reading named files and writing output atomically."""

from __future__ import annotations

import io
import json
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
