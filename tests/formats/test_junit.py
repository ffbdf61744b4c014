from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from compataudit.formats import RenderContext, junit, render
from compataudit.model import Report
from compataudit.rules import check_areas

FIXED_AREAS = ["cuda", "packages", "policy", "python", "torch"]


@pytest.fixture
def fixed_areas(monkeypatch: pytest.MonkeyPatch) -> None:
    # the snapshot must not change each time a check module is added
    monkeypatch.setattr(junit, "known_areas", lambda: list(FIXED_AREAS))


def _cases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {f"{c.get('classname')}:{c.get('name')}": c for c in root.iter("testcase")}


def test_snapshot(report: Report, fixed_areas: None, snapshot: Callable[[str, str], None]) -> None:
    snapshot("report.junit.xml", render(report, "junit", RenderContext()))


def test_parses_with_a_case_per_area_and_kernel(report: Report, fixed_areas: None) -> None:
    root = ET.fromstring(junit.render(report, RenderContext()))
    cases = _cases(junit.render(report, RenderContext()))
    # areas known + "matrices", only named by a finding
    assert {k for k in cases if k.startswith("compataudit.checks:")} == {
        f"compataudit.checks:{a}" for a in [*FIXED_AREAS, "matrices"]
    }
    assert {k for k in cases if k.startswith("compataudit.smoke:")} == {
        "compataudit.smoke:torch[cpu, float32]",
        "compataudit.smoke:torch[cuda:0, float16]",
        "compataudit.smoke:jax[gpu:0, float32]",
        "compataudit.smoke:tensorflow[cpu, float32]",
    }
    assert root.get("tests") == "10"
    assert root.get("failures") == "4"  # torch + policy areas, two smoke failures
    assert root.get("skipped") == "1"


@pytest.mark.parametrize(
    ("case", "outcome"),
    [
        ("compataudit.checks:torch", "failure"),
        ("compataudit.checks:policy", "failure"),
        ("compataudit.checks:cuda", "pass"),  # a warning alone passes, shown in system-out
        ("compataudit.checks:matrices", "pass"),
        ("compataudit.checks:python", "pass"),
        ("compataudit.smoke:torch[cpu, float32]", "pass"),
        ("compataudit.smoke:torch[cuda:0, float16]", "failure"),
        ("compataudit.smoke:jax[gpu:0, float32]", "failure"),
        ("compataudit.smoke:tensorflow[cpu, float32]", "skipped"),
    ],
)
def test_outcomes(report: Report, fixed_areas: None, case: str, outcome: str) -> None:
    element = _cases(junit.render(report, RenderContext()))[case]
    children = {child.tag for child in element}
    if outcome == "pass":
        assert not children & {"failure", "skipped", "error"}
    else:
        assert outcome in children


def test_warning_text_in_system_out(report: Report, fixed_areas: None) -> None:
    case = _cases(junit.render(report, RenderContext()))["compataudit.checks:cuda"]
    out = case.find("system-out")
    assert out is not None and out.text is not None
    assert "DRV002" in out.text and "fix: Upgrade the NVIDIA driver" in out.text


def test_every_real_area_is_a_case(report: Report) -> None:
    cases = _cases(junit.render(report, RenderContext()))
    for area in check_areas():
        assert f"compataudit.checks:{area}" in cases


def test_a_check_finding_fails_its_own_area_case(report: Report) -> None:
    # the real areas, no monkeypatch: a protobuf error of the tensorflow check fails the
    # tensorflow case (it once went to "numpy" while "tensorflow" always passed)
    from dataclasses import replace

    from compataudit.rules import finding

    dep = finding("DEP001", "protobuf 7.36.2 is outside tensorflow 2.21.0's range", components=["protobuf"])
    wheels = finding("NVW001", "two CUDA wheel families", components=["nvidia-cublas-cu12"])
    cases = _cases(junit.render(replace(report, findings=(dep, wheels)), RenderContext()))
    assert cases["compataudit.checks:tensorflow"].find("failure") is not None
    assert cases["compataudit.checks:nvidia-wheels"].find("failure") is not None
    assert cases["compataudit.checks:numpy"].find("failure") is None


def test_markup_in_text_is_escaped(report: Report, fixed_areas: None) -> None:
    from dataclasses import replace

    bad = replace(report.findings[0], title='<b>"x" & y</b>', detail="]]> \x1b")
    text = junit.render(replace(report, findings=(bad,)), RenderContext())
    element = _cases(text)["compataudit.checks:torch"].find("failure")
    assert element is not None and '<b>"x" & y</b>' in (element.get("message") or "")
