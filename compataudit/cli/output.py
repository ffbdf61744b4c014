"""How a report leaves the command line: rendered, written, and summed up on stderr.

Shared by ``check`` and ``smoke``; everything heavy is imported when used.
"""

from __future__ import annotations

import sys
from typing import Any


def formats() -> tuple[str, ...]:
    from compataudit.formats import FORMATS

    return tuple(FORMATS)


def redact_environment(env: Any) -> Any:
    """``--redact``: the environment without hostnames, user names, home paths, GPU ids."""
    from compataudit.plan import redact

    return redact.redact_environment(env)


def progress_display(enabled: bool) -> Any:
    """A live per-framework progress display on stderr, only for a person at a terminal."""
    if not enabled or not sys.stderr.isatty():
        return None
    from compataudit.smoke.progress import SmokeProgress

    return SmokeProgress(enabled=True)


def summary_line(report: Any) -> str:
    """``2 errors, 0 warnings, 0 info, smoke 4/4 passed · exit 1``."""
    from compataudit.formats import summary_counts

    return f"{summary_counts(report)} · exit {report.summary.exit_code}"


def emit_report(
    report: Any, fmt: str, output: str | None, *, quiet: bool, verbose: int, input_files: tuple[str, ...]
) -> None:
    import os
    import shlex

    from compataudit.cli.kit import note
    from compataudit.files import write_output
    from compataudit.formats import RenderContext, render
    from compataudit.render import terminal_width, use_color

    color = output is None and fmt == "table" and use_color(sys.stdout)
    width = terminal_width(sys.stdout if output is None else None)
    # the command as typed, for the pages a person reads later (HTML): what produced this
    command = shlex.join(["compataudit", *sys.argv[1:]]) if fmt == "html" else ""
    extra = {}
    if command:
        import datetime as _dt

        audited_at = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
        extra = {"command": command, "audited_at": audited_at}
    ctx = RenderContext(
        color=color, verbose=verbose, quiet=quiet, width=width, input_files=input_files, extra=extra
    )
    write_output(render(report, fmt, ctx), output, color=color, commands=fmt == "github")
    if output not in (None, "-") or fmt != "table":
        # The report went to a file or to a machine: one line for the person watching.
        where = f" → {output}" if output not in (None, "-") else ""
        note(summary_line(report) + where, quiet=quiet)
    if fmt == "github" and os.environ.get("GITHUB_STEP_SUMMARY"):
        from compataudit.formats.github import write_step_summary

        write_step_summary(report)
