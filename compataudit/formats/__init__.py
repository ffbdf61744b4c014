"""Output formats: each module renders one :class:`~compataudit.model.Report`.

A format module defines ``render(report: Report, ctx: RenderContext) -> str``.
Modules are imported only when chosen, so start-up stays lean.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from compataudit.model import Report

# format name -> module under compataudit.formats
FORMATS: dict[str, str] = {
    "table": "table",
    "json": "json_report",
    "junit": "junit",
    "sarif": "sarif",
    "github": "github",
    "markdown": "markdown",
    "html": "html",
    "prometheus": "prometheus",
}


@dataclass(frozen=True)
class RenderContext:
    color: bool = False
    verbose: int = 0  # -v count
    quiet: bool = False
    width: int | None = None  # wrap prose to this many columns; None: never wrap
    # Files named on the command line (requirements, pyproject, snapshot): SARIF points there.
    input_files: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


def render(report: Report, fmt: str, ctx: RenderContext | None = None) -> str:
    """``report`` in format ``fmt`` (a key of :data:`FORMATS`)."""
    module = importlib.import_module(f"{__name__}.{FORMATS[fmt]}")
    text: str = module.render(report, ctx or RenderContext())
    return text


def summary_counts(report: Report) -> str:
    """``2 errors, 0 warnings, 0 info, smoke 4/4 passed``: the run in one phrase."""
    s = report.summary
    parts = [f"{s.errors} error{'s' * (s.errors != 1)}", f"{s.warnings} warning{'s' * (s.warnings != 1)}"]
    parts.append(f"{s.infos} info")
    if report.smoke:
        passed = sum(1 for r in report.smoke if r.status.value == "pass")
        parts.append(f"smoke {passed}/{len(report.smoke)} passed")
    return ", ".join(parts)
