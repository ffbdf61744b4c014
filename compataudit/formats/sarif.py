"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

Rules come from the code table (:mod:`compataudit.rules`), one per code that
fired. Where a result points:

1. the line of a ``-r`` file (requirements, lock file, environment.yml,
   Dockerfile) that pinned one of the finding's components (``Package.pinned_at``);
   else a file named on the command line (``ctx.input_files``) that names one:
   that file, at that line;
2. otherwise ``pyproject.toml`` in the current directory, at the line that names
   a component when there is one (GitHub code scanning needs a file);
3. otherwise a logical location named ``environment``.

The same lookup feeds the ``file=``/``line=`` of the GitHub annotations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compataudit.distributions import canonical_name
from compataudit.formats import RenderContext
from compataudit.model import Environment, Finding, Report, Severity
from compataudit.rules import get_rule

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/compataudit/compataudit"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
FALLBACK_FILE = "pyproject.toml"
# Files that can pin a distribution; snapshots and reports (.json) cannot.
_PIN_FILE_SUFFIXES = (".txt", ".in", ".toml", ".lock", ".cfg")
# pseudo-components that a project file can still name
_PSEUDO_PATTERNS = {"python": re.compile(r"requires-python|python_requires|python_version")}


@dataclass(frozen=True)
class SourceLocation:
    """A file (as the user spelled it, ``/``-separated) and a 1-based line, if known."""

    path: str
    line: int | None = None


def locate_finding(
    finding: Finding, ctx: RenderContext, cwd: Path | None = None, env: Environment | None = None
) -> SourceLocation | None:
    """Where ``finding`` belongs in the user's files (see the module docstring), or None."""
    base = cwd or Path.cwd()
    pinned = _pinned_location(finding, env, base)
    if pinned is not None:
        return pinned
    candidates = [p for p in ctx.input_files if _can_pin(p)]
    for name in candidates:
        line = _find_component_line(base / name, finding.components)
        if line is not None:
            return SourceLocation(_display_path(name, base), line)
    fallback = base / FALLBACK_FILE
    if fallback.is_file():
        return SourceLocation(FALLBACK_FILE, _find_component_line(fallback, finding.components))
    return None


def _pinned_location(finding: Finding, env: Environment | None, base: Path) -> SourceLocation | None:
    if env is None:
        return None
    for component in finding.components:
        package = env.package(component)
        if package is not None and package.pinned_at:
            path, _, line = package.pinned_at.rpartition(":")
            if path and line.isdigit():
                return SourceLocation(_display_path(path, base), int(line))
    return None


def _can_pin(name: str) -> bool:
    lowered = name.lower()
    return name != "-" and (lowered.endswith(_PIN_FILE_SUFFIXES) or "requirements" in lowered)


def _display_path(name: str, base: Path) -> str:
    path = Path(name)
    if path.is_absolute():
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def _component_pattern(component: str) -> re.Pattern[str]:
    pseudo = _PSEUDO_PATTERNS.get(component)
    if pseudo is not None:
        return pseudo
    # torch-vision, torch_vision and Torch.Vision are one distribution (PEP 503)
    parts = [re.escape(p) for p in canonical_name(component).split("-")]
    return re.compile(r"(?<![\w.-])" + r"[-_.]+".join(parts) + r"(?![\w.-])", re.IGNORECASE)


def _find_component_line(path: Path, components: tuple[str, ...]) -> int | None:
    from compataudit.errors import CompatAuditError
    from compataudit.files import read_limited

    try:  # through the bounded reader: a pipe given as -r was read once already
        lines = read_limited(path, "-r").decode("utf-8").splitlines()
    except (CompatAuditError, UnicodeDecodeError):
        return None
    for component in components:
        pattern = _component_pattern(component)
        for number, text in enumerate(lines, start=1):
            if text.lstrip().startswith("#"):
                continue
            if pattern.search(text.split(" #", 1)[0]):
                return number
    return None


def _rule_descriptor(code: str, severity: Severity) -> dict[str, Any]:
    rule = get_rule(code)
    if rule is None:  # a code outside the table (should not happen): still a valid rule
        return {"id": code, "defaultConfiguration": {"level": LEVELS[severity]}}
    return {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.what} {rule.why}"},
        "help": {"text": rule.fix},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"area": rule.area},
    }


def _message(finding: Finding) -> str:
    parts = [finding.title]
    if finding.detail:
        parts.append(finding.detail)
    if finding.fix:
        parts.append(f"Fix: {finding.fix}")
    return "\n\n".join(parts)


def _location(where: SourceLocation | None) -> dict[str, Any]:
    if where is None:
        return {"logicalLocations": [{"name": "environment", "kind": "resource"}]}
    physical: dict[str, Any] = {"artifactLocation": {"uri": where.path}}
    if not Path(where.path).is_absolute():
        physical["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    if where.line is not None:
        physical["region"] = {"startLine": where.line}
    return {"physicalLocation": physical}


def sarif_log(report: Report, ctx: RenderContext) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    rule_index: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for finding in report.findings:
        if finding.code not in rule_index:
            rule_index[finding.code] = len(rules)
            rules.append(_rule_descriptor(finding.code, finding.severity))
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": rule_index[finding.code],
            "level": LEVELS[finding.severity],
            "message": {"text": _message(finding)},
            "locations": [_location(locate_finding(finding, ctx, env=report.environment))],
            "properties": {"components": list(finding.components), "area": finding.area},
        }
        if finding.sources:
            result["properties"]["sources"] = list(finding.sources)
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "compataudit",
                        "version": report.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {
                    "exit_code": report.summary.exit_code,
                    "smoke_failed": report.summary.smoke_failed,
                },
            }
        ],
    }


def render(report: Report, ctx: RenderContext) -> str:
    """The report as a SARIF 2.1.0 log (JSON text)."""
    return json.dumps(sarif_log(report, ctx), indent=2, ensure_ascii=False)
