"""GitHub Actions workflow commands: an annotation per finding and failed smoke kernel.

Errors become ``::error``, warnings ``::warning``, infos ``::notice``; a finding
about a file named on the command line (or ``pyproject.toml``) is attached to
the line that pins the package (same lookup as SARIF). :func:`write_step_summary`
appends the Markdown report to ``$GITHUB_STEP_SUMMARY``; the CLI calls it, not
:func:`render`, so rendering stays free of side effects.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from compataudit.errors import CompatAuditError
from compataudit.formats import RenderContext
from compataudit.formats.markdown import render as render_markdown
from compataudit.formats.sarif import locate_finding
from compataudit.model import Report, Severity
from compataudit.sanitise import clean_output

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow-command message: ``%``, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line, ``::name k=v,k=v::message``."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


_NOTE_AT = re.compile(r"^([^\s:][^:]*?)(?::(\d+))?: (.+)$", re.DOTALL)


def render(report: Report, ctx: RenderContext) -> str:
    """Annotations, then one plain summary line."""
    lines = []
    for f in report.findings:
        where = locate_finding(f, ctx, env=report.environment)
        message = f.detail or f.title
        if f.fix:
            message += f"\nFix: {f.fix}"
        lines.append(
            command(
                COMMANDS[f.severity],
                message,
                title=f"{f.code} {f.title}",
                file=where.path if where else None,
                line=where.line if where else None,
            )
        )
    for note in report.environment.notes:  # what the -r files said (unpinned lines, replaced builds)
        match = _NOTE_AT.match(note)
        file, line, text = (match.group(1), match.group(2), match.group(3)) if match else (None, None, note)
        lines.append(command("notice", text, title="compataudit note", file=file, line=line))
    for r in report.smoke:
        if r.status.failed:
            title = f"smoke {r.framework} {r.device} {r.dtype}: {r.status.value}"
            lines.append(command("error", r.detail or r.status.value, title=title))
    s = report.summary
    lines.append(
        f"compataudit: {s.errors} error(s), {s.warnings} warning(s), {s.infos} info, "
        f"{s.smoke_failed} smoke failure(s); exit code {s.exit_code}"
    )
    return "\n".join(lines) + "\n"


def write_step_summary(
    report: Report, ctx: RenderContext | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """Append the Markdown report to ``$GITHUB_STEP_SUMMARY``; the file, or None when unset."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(clean_output(render_markdown(report, ctx or RenderContext())) + "\n")
    except OSError as exc:
        raise CompatAuditError(
            f"cannot append to GITHUB_STEP_SUMMARY {target}: {exc.strerror or exc}"
        ) from None
    return path
