from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compataudit.errors import CompatAuditError
from compataudit.formats import RenderContext, render
from compataudit.formats.github import command, escape_data, escape_property, write_step_summary
from compataudit.model import Report


def test_snapshot(
    report: Report, requirements_ctx: RenderContext, snapshot: Callable[[str, str], None]
) -> None:
    snapshot("report.github.txt", render(report, "github", requirements_ctx))


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50% done", "50%25 done", "50%25 done"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),  # an already-escaped-looking text stays literal
    ],
)
def test_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_command_skips_missing_properties() -> None:
    assert command("warning", "m", title="t", file=None, line=None) == "::warning title=t::m"
    assert command("error", "m\nn", file="a,b.txt", line=3) == "::error file=a%2Cb.txt,line=3::m%0An"


def test_one_annotation_per_finding_and_failed_kernel(
    report: Report, requirements_ctx: RenderContext
) -> None:
    lines = render(report, "github", requirements_ctx).splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines if line.startswith("::")]
    assert kinds == ["::error", "::warning", "::notice", "::error", "::error", "::error"]
    assert lines[0].startswith(
        "::error title=TCH001 torchvision 0.19.1 is built for torch 2.4"
        "%2C not 2.5.1,file=requirements.txt,line=4::"
    )
    assert all("\n" not in line for line in lines)
    assert lines[-1].startswith("compataudit: 2 error(s)")


def test_step_summary_appends(report: Report, tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n", encoding="utf-8")
    assert write_step_summary(report, environ={"GITHUB_STEP_SUMMARY": str(target)}) == target
    write_step_summary(report, environ={"GITHUB_STEP_SUMMARY": str(target)})
    text = target.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n# compataudit report")
    assert text.count("# compataudit report") == 2


def test_step_summary_unset_does_nothing(report: Report) -> None:
    assert write_step_summary(report, environ={}) is None


def test_step_summary_unwritable_is_one_line_error(report: Report, tmp_path: Path) -> None:
    with pytest.raises(CompatAuditError, match="cannot append to GITHUB_STEP_SUMMARY"):
        write_step_summary(report, environ={"GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "f")})
