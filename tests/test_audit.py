"""The pipeline's policy: ignores, severity overrides, exit codes."""

from __future__ import annotations

import pytest

from compataudit.audit import apply_policy, exit_code_for, make_report
from compataudit.model import Finding, Severity, SmokeResult, SmokeStatus
from compataudit.options import AuditOptions
from compataudit.sources.whatif import empty_environment

F = [
    Finding("PKG002", Severity.ERROR, "conflict"),
    Finding("DRV002", Severity.WARNING, "driver below toolkit minimum"),
    Finding("MAT001", Severity.INFO, "unknown version"),
]


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)])
def test_fail_on(fail_on: str, code: int) -> None:
    assert exit_code_for(F, [], fail_on) == code


def test_fail_on_threshold_ignores_lower_severities() -> None:
    assert exit_code_for(F[1:], [], "error") == 0
    assert exit_code_for(F[2:], [], "warning") == 0


def test_a_failed_kernel_always_fails_the_run() -> None:
    crash = SmokeResult("torch", "cpu", SmokeStatus.CRASH)
    skip = SmokeResult("jax", "cpu", SmokeStatus.SKIP)
    assert exit_code_for([], [crash], "never") == 1
    assert exit_code_for([], [skip], "error") == 0


def test_ignore_by_code_and_prefix_and_severity_override() -> None:
    out = apply_policy(F, AuditOptions(ignore=("MAT",), severity={"DRV002": "error"}))
    assert [(f.code, f.severity) for f in out] == [("DRV002", Severity.ERROR), ("PKG002", Severity.ERROR)]


def test_report_summary_counts() -> None:
    report = make_report(empty_environment(), F, [SmokeResult("torch", "cpu", SmokeStatus.FAIL)])
    s = report.summary
    assert (s.errors, s.warnings, s.infos, s.smoke_failed, s.exit_code) == (1, 1, 1, 1, 1)
