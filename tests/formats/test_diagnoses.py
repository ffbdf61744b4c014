"""`explain` as a table at 80 columns: a URL is never broken across lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compataudit.doctor.explain import explain_text
from compataudit.formats.diagnoses import render_json, render_table

TRACEBACKS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "tracebacks").glob("*.txt"))
URL = re.compile(r"https?://[^\s\"`]+")


@pytest.mark.parametrize("width", [80, 60])
def test_no_url_is_split_across_lines_for_any_recorded_traceback(width: int) -> None:
    shown = 0
    for path in TRACEBACKS:
        diagnoses = explain_text(path.read_text(encoding="utf-8"))
        whole = {url.rstrip(".,;)") for url in URL.findall(render_json(diagnoses))}
        table = render_table(diagnoses, width=width)
        for line in table.splitlines():
            for url in URL.findall(line):
                shown += 1
                # each URL on a line is one the diagnosis carries, not the head of a broken one
                assert url.rstrip(".,;)") in whole, (path.name, line)
    assert len(TRACEBACKS) > 250 and shown > 500
