"""Lint results (`compataudit lint`) as a table for people and as JSON."""

from __future__ import annotations

import json

from compataudit.doctor.lint import LintResult
from compataudit.render import SEVERITY_COLOR, Style, fix_lines, wrap
from compataudit.sanitise import clean


def render_table(result: LintResult, *, color: bool = False, width: int | None = None) -> str:
    """Plain text: one block per problem (prose wrapped to ``width``), then skipped files and a
    summary line."""
    lines: list[str] = []
    style = Style(color)
    for p in result.problems:
        sev = p.severity.value
        tag = style(f"{sev:<7}", SEVERITY_COLOR[sev])
        symbol = f" {clean(p.symbol)}" if p.symbol else ""
        lines.append(f"{clean(p.path)}:{p.line}: {tag} {p.kind}{symbol}")
        lines += wrap(clean(p.message), width, first="    ", indent="    ")
        lines += fix_lines(clean(p.fix), width, first="    fix: ", indent="         ")
    lines.extend(f"{clean(s.path)}: skipped ({clean(s.reason)})" for s in result.skipped)
    lines.append(result.summary())
    return "\n".join(lines)


def render_json(result: LintResult) -> str:
    return json.dumps(result.to_json(), indent=2)
