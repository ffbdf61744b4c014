"""The code table: stable, complete, one text per rule."""

from __future__ import annotations

import re

from compataudit.checks import areas
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
