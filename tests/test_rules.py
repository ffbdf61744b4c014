"""The code table: stable, complete, one text per rule."""

from __future__ import annotations

import re
from pathlib import Path

import compataudit
from compataudit.checks import areas
from compataudit.doctor.lint import LINT_CODES
from compataudit.rules import REDIRECTS, RULES, get_rule, rule

CODE_RE = re.compile(r"^[A-Z]{2,3}\d{3}$")


def test_codes_and_slugs_are_unique_and_well_formed() -> None:
    codes = [r.code for r in RULES]
    slugs = [r.slug for r in RULES]
    assert len(codes) == len(set(codes)) and len(slugs) == len(set(slugs))
    assert all(CODE_RE.match(c) for c in codes)
    assert all(re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", s) for s in slugs)


def test_every_rule_explains_what_why_and_fix() -> None:
    for r in RULES:
        assert r.summary and len(r.what) > 20 and len(r.why) > 20 and len(r.fix) > 10, r.code
        assert r.status in ("stable", "preview", "removed")


def test_lookup_by_code_slug_and_case() -> None:
    assert get_rule("drv001") is rule("DRV001")
    assert get_rule("driver-too-old") is rule("DRV001")
    assert get_rule("NOPE999") is None
    assert all(get_rule(new) is not None for new in REDIRECTS.values())


def test_every_check_area_module_is_importable() -> None:
    names = {a.name for a in areas()}
    assert {"packages", "probes", "torch", "tensorflow", "keras", "cuda", "jax"} <= names


def _code_literals(path: Path) -> set[str]:
    return set(re.findall(r"[\"']([A-Z]{2,3}[0-9]{3})[\"']", path.read_text(encoding="utf-8")))


def test_every_junit_check_area_can_receive_a_finding() -> None:
    # an area with no rule is a JUnit test case that can never fail
    from compataudit.formats.junit import known_areas

    filed = {r.area for r in RULES}
    assert known_areas() and all(area in filed for area in known_areas())


def test_findings_of_a_check_module_are_filed_under_its_areas() -> None:
    # The tensorflow check's protobuf / ml-dtypes findings belong to "tensorflow", not "numpy";
    # the nvidia-wheels check's to "nvidia-wheels".
    assert {rule(c).area for c in ("DEP001", "DEP002")} == {"tensorflow"}
    assert {rule(c).area for c in ("NVW001", "NVW002", "NVW003")} == {"nvidia-wheels"}


def test_every_emitted_code_is_in_the_table_and_every_rule_is_emitted() -> None:
    package = Path(compataudit.__file__).parent
    emitted: set[str] = set()
    for path in package.rglob("*.py"):
        if path.name != "rules.py":
            emitted |= _code_literals(path)
    emitted |= set(LINT_CODES.values())  # lint files each problem under its kind's rule
    known = {r.code for r in RULES}
    assert emitted - known == set(), "codes used in the code but missing from the rule table"
    live = {r.code for r in RULES if r.status != "removed"}
    assert live - emitted == set(), "rules that nothing emits"
