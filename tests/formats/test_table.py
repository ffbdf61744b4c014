"""The human table and the JSON report, rendered from the shared sample report."""

from __future__ import annotations

import json

from compataudit.formats import RenderContext, render
from compataudit.model import Report
from tests.formats.sample_report import make_report
from tests.schema_helpers import assert_valid_report


def _report() -> Report:
    return make_report()


def test_table_lists_stack_gpu_findings_fixes_and_summary() -> None:
    text = render(_report(), "table", RenderContext())
    for part in ("Stack", "GPU", "Findings", "fix:", "Summary:"):
        assert part in text
    assert "\x1b[" not in text  # no colour unless asked


def test_table_colour_and_quiet() -> None:
    report = _report()
    assert "\x1b[" in render(report, "table", RenderContext(color=True))
    quiet = render(report, "table", RenderContext(quiet=True))
    assert "Stack" not in quiet and "Summary:" in quiet


def test_verbose_adds_details_and_sources() -> None:
    report = _report()
    base = render(report, "table", RenderContext())
    vv = render(report, "table", RenderContext(verbose=2))
    assert len(vv) > len(base) and "source:" in vv


def test_json_report_is_the_contract() -> None:
    data = json.loads(render(_report(), "json", RenderContext()))
    assert list(data) == ["schema_version", "tool", "environment", "findings", "smoke", "summary"]
    assert data["tool"]["name"] == "compataudit"
    assert_valid_report(data)


def test_table_wraps_prose_to_the_width_and_keeps_commands_whole() -> None:
    report = _report()
    text = render(report, "table", RenderContext(verbose=1, width=60))
    commands = {f.fix for f in report.findings if f.fix and f.fix.startswith("pip ")}
    assert commands
    for command in commands:
        assert any(line.strip().endswith(command) for line in text.splitlines())
    findings = text.split("Findings", 1)[1].splitlines()
    long = [line for line in findings if len(line) > 60]
    assert all(any(c in line for c in commands) for line in long), long
    assert all(len(line) <= 60 for line in text.splitlines()[:2])  # the header wraps too
    # no width (a pipe, a file): no line is broken
    flat = render(report, "table", RenderContext(verbose=1))
    assert all(f.title in flat for f in report.findings)


def test_quiet_drops_the_data_paragraph_but_keeps_the_finding() -> None:
    from dataclasses import replace

    report = replace(_report(), newer_than_data=("ml-dtypes 0.7.0",), data_date="2026-12-01")
    assert "Data: " in render(report, "table", RenderContext())
    assert "Data: " not in render(report, "table", RenderContext(quiet=True))


def test_an_empty_environment_points_to_env() -> None:
    from dataclasses import replace

    report = _report()
    empty = replace(report, environment=replace(report.environment, packages=(), origin="probe", target=None))
    text = render(empty, "table", RenderContext())
    assert "no deep-learning framework installed" in text and "--env PATH" in text
    what_if = replace(empty, environment=replace(empty.environment, origin="what-if"))
    assert "--env PATH" not in render(what_if, "table", RenderContext())


def test_smoke_detail_wraps_under_its_column_at_80_columns() -> None:
    from dataclasses import replace

    from compataudit.model import SmokeResult, SmokeStatus

    detail = "tensorflow sees no device matching 'cuda' (it sees: cpu)"  # a real kernel's words
    failed = SmokeResult(framework="tensorflow", device="cuda", status=SmokeStatus.ERROR, detail=detail)
    report = replace(_report(), smoke=(failed,))
    lines = render(report, "table", RenderContext(width=80)).splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("  tensorflow  cuda"))
    start = lines[row].index("tensorflow sees")
    assert all(len(line) <= 80 for line in lines[row : row + 2])
    assert lines[row + 1][:start].strip() == "" and lines[row + 1][start] != " "
    assert " ".join(line.strip() for line in lines[row : row + 2]).endswith(detail)
    one_line = render(report, "table", RenderContext()).splitlines()  # no width: a pipe or file
    assert any(line.endswith(detail) and line.startswith("  tensorflow") for line in one_line)
