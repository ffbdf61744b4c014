from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from compataudit.formats import RenderContext, render
from compataudit.formats.markdown import cell, headline
from compataudit.model import Report, Summary


def test_snapshot(report: Report, snapshot: Callable[[str, str], None]) -> None:
    snapshot("report.md", render(report, "markdown", RenderContext()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a|b", "a\\|b"),
        ("line\nbreak", "line break"),
        (None, ""),
        (1.5, "1.5"),
    ],
)
def test_cell(text: object, expected: str) -> None:
    assert cell(text) == expected


def test_sections_and_tables(report: Report) -> None:
    text = render(report, "markdown", RenderContext())
    for heading in ("## Stack", "## Findings", "## Smoke kernels"):
        assert heading in text
    assert "| torch | 2.5.1+cu124 | CUDA 12.4, cuDNN 9.1.0, sm_80 sm_90 |" in text
    assert "| gpu 0 | NVIDIA A100-SXM4-40GB | compute capability 8.0 |" in text
    assert "**Fix:** `pip install torchvision==0.20.1" in text
    assert "| jax | gpu:0 | float32 | crash |" in text
    # every table row has the column count of its header
    for block in text.split("\n\n"):
        rows = [r for r in block.splitlines() if r.startswith("|")]
        if rows:
            widths = {r.count(" | ") for r in rows if "---" not in r}
            assert len(widths) == 1, block


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (Summary(0, 0, 1, 0, 0), "**compataudit ✅ passed** — 0 errors, 0 warnings, 1 info (exit code 0)"),
        (
            Summary(1, 2, 0, 1, 1),
            "**compataudit ❌ failed** — 1 error, 2 warnings, 0 infos; 1 smoke kernel failed (exit code 1)",
        ),
    ],
)
def test_headline(report: Report, summary: Summary, expected: str) -> None:
    assert headline(replace(report, summary=summary)) == expected


def test_empty_report(report: Report) -> None:
    text = render(replace(report, findings=(), smoke=()), "markdown", RenderContext())
    assert "No findings." in text and "Not run." in text
