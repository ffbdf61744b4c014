"""``--format html``: one self-contained page, parsed back with html.parser."""

from __future__ import annotations

import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from compataudit.formats import RenderContext, render
from compataudit.formats.html import render_fleet
from compataudit.model import Environment, Package, from_jsonable, to_jsonable
from compataudit.plan.fleet import aggregate
from tests.formats.sample_report import make_report

SNAPSHOT = Path(__file__).parents[1] / "plan" / "fixtures" / "snapshot_cpu_vm.json"


class Page(HTMLParser):
    """Tags, attributes, text per element class, and anything a browser would fetch."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.fetches: list[str] = []
        self.text: list[str] = []
        self.code: list[str] = []
        self._in_code = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.fetches.append(tag)
        self.fetches += [k for k, v in attrs if k in ("src", "href", "srcset", "xmlns") and v]
        if tag == "pre":
            self._in_code += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_code -= 1

    def handle_data(self, data: str) -> None:
        (self.code if self._in_code else self.text).append(data)


def test_check_page_is_self_contained_and_complete() -> None:
    report = make_report()
    html = render(report, "html", RenderContext())
    page = Page(html)
    assert html.startswith("<!DOCTYPE html>") and page.tags[0] == "html"
    assert page.fetches == []
    assert "url(" not in html and "@import" not in html
    assert {"style", "svg", "table"} <= set(page.tags)
    text = " ".join(page.text)
    for f in report.findings:
        assert f.code in text and f.title in text
    for pkg in ("torch", "torchvision", "numpy"):
        assert pkg in text
    for r in report.smoke:
        assert r.status.value in text
    # every command of a fix is in a code block, whole
    fixes = [f.fix for f in report.findings if f.fix and f.fix.startswith("pip ")]
    assert fixes and all(fix in page.code for fix in fixes)


def test_page_escapes_what_it_shows() -> None:
    report = make_report()
    bad = report.findings[0].__class__(
        **{**report.findings[0].__dict__, "title": "<script>alert(1)</script>"}
    )
    html = render(report.__class__(**{**report.__dict__, "findings": (bad,)}), "html", RenderContext())
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_fleet_page_has_groups_chart_majority_and_outliers(tmp_path: Path) -> None:
    base = from_jsonable(Environment, json.loads(SNAPSHOT.read_text()))
    for i in range(4):
        env = replace(base, platform=replace(base.platform, hostname=f"node-{i}"))
        if i == 3:
            env = replace(env, packages=(*env.packages, Package("torch", "2.4.1", "/site")))
        (tmp_path / f"n{i}.json").write_text(json.dumps(to_jsonable(env)))
    result = aggregate([str(tmp_path)], None)
    html = render_fleet(result)
    page = Page(html)
    assert page.fetches == [] and "svg" in page.tags and "rect" in page.tags
    text = " ".join(page.text)
    assert "Majority stack" in text and "Outliers" in text and "node-3" in text
    assert "torch: 2.13.0+cpu -> 2.4.1" in text
    assert page.tags.count("li") >= 1  # one difference per line


def test_check_page_says_what_was_audited_when_and_how() -> None:
    report = make_report()
    env = replace(report.environment, created_at="2026-12-08T00:52:00+00:00", origin="probe", target=None)
    report = replace(report, environment=env)
    page = render(report, "html", RenderContext(extra={"command": "compataudit check -f html -o r.html"}))
    assert "<dt>Audited</dt>" in page and "the Python compataudit ran in" in page
    assert "2026-12-08T00:52:00+00:00" in page
    assert "compataudit check -f html -o r.html" in page
    # every distribution, not only the stack table's
    assert f"All {len(env.packages)} distributions" in page
    assert all(f">{p.name}<" in page for p in env.packages)


def test_check_page_says_when_for_a_what_if_stack_and_a_snapshot() -> None:
    report = make_report()
    what_if = replace(report, environment=replace(report.environment, created_at=None, origin="what-if"))
    ctx = RenderContext(
        extra={"command": "compataudit check --no-probe", "audited_at": "2026-12-08T02:40:00+00:00"}
    )
    assert "<dt>When</dt><dd><code>2026-12-08T02:40:00+00:00</code>" in render(what_if, "html", ctx)
    old = replace(report.environment, created_at="2026-11-01T09:00:00+00:00", origin="snapshot")
    page = render(replace(report, environment=old), "html", ctx)
    assert "2026-12-08T02:40:00+00:00" in page and "<dt>Snapshot taken</dt>" in page
    assert "2026-11-01T09:00:00+00:00" in page


def test_check_page_names_a_snapshot_as_such() -> None:
    report = make_report()
    report = replace(report, environment=replace(report.environment, origin="snapshot"))
    assert "a saved snapshot" in render(report, "html", RenderContext())


def test_fleet_page_names_groups_by_label_with_the_id_beside(tmp_path: Path) -> None:
    base = from_jsonable(Environment, json.loads(SNAPSHOT.read_text()))
    for i in range(5):
        env = replace(base, platform=replace(base.platform, hostname=f"node-{i}"))
        if i == 3:
            env = replace(env, packages=(*env.packages, Package("torch", "2.4.1", "/site")))
        data: dict[str, object] = to_jsonable(env)
        if i == 4:  # the majority's stack, its own torch kernel crashed
            smoke = {"framework": "torch", "device": "cpu", "status": "crash", "detail": "killed by SIGSEGV"}
            data = {"environment": data, "findings": [], "smoke": [smoke]}
        (tmp_path / f"n{i}.json").write_text(json.dumps(data))
    result = aggregate([str(tmp_path)], None)
    majority, older = result.groups
    html = render_fleet(result)
    for g in result.groups:  # the hash only ever small, beside the label
        beside = f"<strong>{g.label}</strong><code class=id>{g.fingerprint}</code>"
        assert html.count(g.fingerprint) == html.count(f"<code class=id>{g.fingerprint}</code>") >= 2
        assert beside in html
    failing = html.split("<h2>Failing nodes")[1].split("<h2>")[0]
    assert "<strong>majority</strong>" in failing and "node-4" in failing
    outliers = html.split("<h2>Outliers")[1].split("<h2>")[0]
    assert "<strong>torch 2.4.1</strong>" in outliers and "node-3" in outliers
    chart = html[html.index("<svg") : html.index("</svg>")]
    assert ">majority</text>" in chart and ">torch 2.4.1</text>" in chart
    assert majority.fingerprint not in chart and older.fingerprint not in chart
    assert "On node-[0-2,4]" in html.split("<h2>Majority stack")[1]


def test_fleet_page_with_equal_groups_names_no_majority(tmp_path: Path) -> None:
    base = from_jsonable(Environment, json.loads(SNAPSHOT.read_text()))
    for i in range(4):
        env = replace(base, platform=replace(base.platform, hostname=f"node-{i}"))
        if i % 2:
            env = replace(env, packages=(*env.packages, Package("torch", "2.4.1", "/site")))
        (tmp_path / f"n{i}.json").write_text(json.dumps(to_jsonable(env)))
    html = render_fleet(aggregate([str(tmp_path)], None))
    assert "Largest stack (tied: no majority)" in html and "Majority stack" not in html
    assert "<strong>torch 2.13.0+cpu</strong>" in html and "<strong>torch 2.4.1</strong>" in html
    assert "majority" not in html.replace("no majority", "")
