"""JUnit XML: one test case per check area and one per smoke kernel.

CI systems (GitLab, Jenkins, Azure, the GitHub test-report actions) show
JUnit natively. The choices:

* suite ``compataudit.checks``: a test case per check area (every area that
  exists, plus any area a finding names). Error findings make it a
  ``<failure>`` (one element, every error listed in its text); warnings and
  infos leave it **passing** and are listed in its ``<system-out>``, so a
  warning never turns a CI test report red while staying visible.
* suite ``compataudit.smoke``: a test case per (framework, device, dtype);
  fail / error / timeout / crash are ``<failure>``, skip is ``<skipped>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from compataudit.formats import RenderContext
from compataudit.model import Finding, Report, Severity, SmokeResult, SmokeStatus
from compataudit.rules import check_areas

# Characters XML 1.0 forbids even escaped (ANSI colour codes in error text, NULs).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


def known_areas() -> list[str]:
    """Every area the rule table files check findings under: a test case each."""
    return check_areas()


def _finding_lines(findings: Iterable[Finding]) -> str:
    blocks = []
    for f in findings:
        lines = [f"[{f.severity.value}] {f.code}: {f.title}"]
        if f.detail:
            lines.append(f"  {f.detail}")
        if f.fix:
            lines.append(f"  fix: {f.fix}")
        blocks.append("\n".join(lines))
    return _text("\n".join(blocks))


def _area_case(suite: ET.Element, area: str, findings: list[Finding]) -> bool:
    case = ET.SubElement(suite, "testcase", classname="compataudit.checks", name=_text(area), time="0")
    errors = [f for f in findings if f.severity is Severity.ERROR]
    others = [f for f in findings if f.severity is not Severity.ERROR]
    if errors:
        codes = ", ".join(dict.fromkeys(f.code for f in errors))
        failure = ET.SubElement(
            case, "failure", type=codes, message=_text(f"{len(errors)} error(s): {errors[0].title}")
        )
        failure.text = _finding_lines(errors)
    if others:
        ET.SubElement(case, "system-out").text = _finding_lines(others)
    return bool(errors)


def _smoke_name(result: SmokeResult) -> str:
    return f"{result.framework}[{result.device}, {result.dtype}]"


def _smoke_case(suite: ET.Element, result: SmokeResult) -> tuple[bool, bool]:
    seconds = ((result.forward_ms or 0.0) + (result.backward_ms or 0.0)) / 1000.0
    case = ET.SubElement(
        suite,
        "testcase",
        classname="compataudit.smoke",
        name=_text(_smoke_name(result)),
        time=f"{seconds:.6f}",
    )
    detail = _text(result.detail or result.status.value)
    if result.status is SmokeStatus.SKIP:
        ET.SubElement(case, "skipped", message=detail)
        return False, True
    if result.status.failed:
        failure = ET.SubElement(
            case, "failure", type=f"smoke-{result.status.value}", message=f"{result.status.value}: {detail}"
        )
        failure.text = detail
        return True, False
    facts = [
        f"forward_ms={result.forward_ms}",
        f"backward_ms={result.backward_ms}",
        f"max_rel_error={result.max_rel_error}",
    ]
    ET.SubElement(case, "system-out").text = " ".join(facts)
    return False, False


def _suite(root: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(root, "testsuite", name=name)


def _set_counts(element: ET.Element, tests: int, failures: int, skipped: int, time: float) -> None:
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", "0")
    element.set("skipped", str(skipped))
    element.set("time", f"{time:.6f}")


def render(report: Report, ctx: RenderContext) -> str:
    """The report as a JUnit XML document (``<testsuites>``)."""
    root = ET.Element("testsuites", name="compataudit")
    checks = _suite(root, "compataudit.checks")
    by_area: dict[str, list[Finding]] = {name: [] for name in known_areas()}
    for f in report.findings:
        by_area.setdefault(f.area or "general", []).append(f)
    check_failures = sum(_area_case(checks, area, by_area[area]) for area in sorted(by_area))
    _set_counts(checks, len(by_area), check_failures, 0, 0.0)

    smoke = _suite(root, "compataudit.smoke")
    smoke_failures = smoke_skipped = 0
    smoke_time = 0.0
    for result in report.smoke:
        failed, skipped = _smoke_case(smoke, result)
        smoke_failures += failed
        smoke_skipped += skipped
        smoke_time += ((result.forward_ms or 0.0) + (result.backward_ms or 0.0)) / 1000.0
    _set_counts(smoke, len(report.smoke), smoke_failures, smoke_skipped, smoke_time)

    _set_counts(
        root, len(by_area) + len(report.smoke), check_failures + smoke_failures, smoke_skipped, smoke_time
    )
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
