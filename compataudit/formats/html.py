"""``--format html``: one self-contained page for people who would rather look.

Everything is inline - the CSS, the SVG charts - and nothing is fetched: no script, no
font, no image, no link to another site (sources are shown as text). The same page
opens from a CI artifact, an e-mail attachment or a laptop with no network.
:func:`render` draws a check report; :func:`render_fleet` a fleet of snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING

from compataudit.distributions import AUDITED_STACK, is_tensorflow
from compataudit.formats import RenderContext
from compataudit.model import Environment, Finding, ProbeStatus, Report, Severity, SmokeResult
from compataudit.render import describe_stack, describe_target, split_commands

if TYPE_CHECKING:
    from compataudit.plan.fleet import FleetResult

COLORS = {"error": "#c62828", "warning": "#b26a00", "info": "#1565c0", "pass": "#2e7d32", "muted": "#757575"}
CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
       margin: 0 auto; max-width: 62rem; padding: 1.5rem; background: #fafafa; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
.sub { color: #555; margin: 0 0 1rem; }
dl.audited { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: 0 0 1rem; }
dl.audited dt { color: #555; } dl.audited dd { margin: 0; overflow-wrap: anywhere; }
details { margin: .5rem 0 1rem; } summary { cursor: pointer; color: #555; }
.verdict { display: flex; gap: 1rem; align-items: center; padding: .75rem 1rem; border-radius: .5rem;
           background: #fff; border: 1px solid #ddd; }
.verdict svg { flex: none; } .verdict > div { min-width: 17rem; } .verdict strong { font-size: 1.1rem; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #ddd; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #eee; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: #1e1e1e; color: #f5f5f5; padding: .5rem .75rem; border-radius: .35rem;
      overflow-x: auto; white-space: pre; margin: .35rem 0; }
.finding { background: #fff; border: 1px solid #ddd; border-left: 6px solid var(--c); border-radius: .35rem;
           padding: .6rem .9rem; margin: .6rem 0; }
.badge { display: inline-block; color: #fff; background: var(--c); border-radius: .3rem; padding: 0 .4rem;
         font-size: .8rem; font-weight: 600; text-transform: uppercase; margin-right: .4rem; }
.code { font-weight: 700; margin-right: .4rem; } .muted { color: #666; font-size: .9rem; }
.id { color: #888; font-size: .75rem; margin-left: .4rem; white-space: nowrap; }
.status-pass { color: #2e7d32; font-weight: 600; } .status-bad { color: #c62828; font-weight: 600; }
.status-other { color: #757575; }
ul.diffs, details ul { margin: 0; padding-left: 1.1rem; }
details { color: #666; font-size: .88rem; margin-top: .35rem; } summary { cursor: pointer; }
li { overflow-wrap: anywhere; }
footer { margin-top: 2rem; color: #777; font-size: .85rem; }
"""


def render(report: Report, ctx: RenderContext) -> str:
    """The check report as one HTML page."""
    env = report.environment
    where = {"snapshot": " (from a snapshot)", "what-if": " (what-if)"}.get(env.origin, "")
    body = [
        f"<h1>compataudit report{escape(where)}</h1>",
        f'<p class="sub">{escape(_platform(env))}</p>',
        _audited(report, ctx),
        _verdict(report),
        "<h2>Stack</h2>",
        _stack(env),
        _all_packages(env),
        "<h2>GPU</h2>",
        _gpu(env),
    ]
    if report.smoke:
        body += ["<h2>Smoke kernels (conv2d forward + backward)</h2>", _smoke(report.smoke)]
    body += ["<h2>Findings</h2>", _findings(report.findings)]
    body.append(
        f"<footer>compataudit {escape(report.tool_version)} · report schema {report.schema_version}</footer>"
    )
    return _page("compataudit report", body)


def render_fleet(result: FleetResult) -> str:
    """A fleet: missing and failing nodes first, then outliers, groups, and every node by name."""
    from compataudit.plan.expect import compact_names
    from compataudit.plan.fleet import change_text, finding_counts, node_names

    sub = [
        f"{result.nodes} nodes",
        f"{len(result.groups)} distinct stacks",
        f"{len(result.corrupt)} unreadable files",
    ]
    if result.failing:
        sub.append(f"{len(result.failing)} failing their own checks")
    if result.expected is not None:
        sub.append(f"{len(result.missing)} of {result.expected} expected missing")
    body = ["<h1>compataudit fleet</h1>", f'<p class="sub">{escape(" · ".join(sub))}</p>']
    if result.collected:
        first, last = result.collected
        span = first if first == last else f"{first} – {last}"
        body.append(f'<p class="muted">Collected {escape(span)}</p>')
    if result.missing:
        body.append(
            f"<h2>Missing <span class=muted>({len(result.missing)} expected nodes sent nothing)</span></h2>"
        )
        body.append(f"<p>{escape(', '.join(result.missing))}</p>")
    if result.failing:
        body.append("<h2>Failing nodes <span class=muted>(their own smoke kernels or findings)</span></h2>")
        merged: dict[tuple[str, str, str], list[str]] = {}
        for o in result.failing:
            for p in o.problems:
                text = p.text() if p.kind != "smoke" else p.text().replace(f", {p.gpu_uuid}", "")
                merged.setdefault((o.group_label, o.group, text), []).append(o.node)
        rows = [
            [_group_cell(label, group), escape(text), f"{len(nodes)}", escape(", ".join(nodes))]
            for (label, group, text), nodes in merged.items()
        ]
        body.append(_table(("group", "failure", "nodes", "on"), rows))
        uuids = [
            [escape(o.node), escape(p.framework), escape(p.device), escape(p.gpu_uuid)]
            for o in result.failing
            for p in o.problems
            if p.gpu_uuid
        ]
        if uuids:
            body.append("<details><summary>GPUs behind the failed kernels</summary>")
            body.append(_table(("node", "framework", "device", "GPU UUID"), uuids))
            body.append("</details>")
    stack_outliers = [o for o in result.outliers if o.differences]
    if stack_outliers:
        tied = bool(result.groups) and not result.has_majority
        reference = result.groups[0].label if tied else "the majority"
        body.append(
            f"<h2>Outliers <span class=muted>(what sets them apart from {escape(reference)})</span></h2>"
        )
        by_diff: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
        for o in stack_outliers:
            key = (o.group_label, o.group, tuple(change_text(c) for c in o.differences))
            by_diff.setdefault(key, []).append(o.node)
        rows = [
            [
                escape(", ".join(nodes)),
                _group_cell(label, group),
                '<ul class="diffs">' + "".join(f"<li>{escape(t)}</li>" for t in texts) + "</ul>",
            ]
            for (label, group, texts), nodes in by_diff.items()
        ]
        body.append(_table(("nodes", "group", "differences"), rows))
    if result.groups:
        top = len(result.groups[0].nodes)
        bars = [
            (
                g.label or g.fingerprint,
                len(g.nodes),
                COLORS["pass"]
                if result.has_majority and i == 0
                else COLORS["info" if len(g.nodes) == top else "warning"],
            )
            for i, g in enumerate(result.groups)
        ]
        body += [
            "<h2>Groups</h2>",
            _bar_chart(bars, unit="nodes", label_w=min(250, max(110, 8 * max(len(b[0]) for b in bars) + 16))),
        ]
        names = node_names(result.groups)
        rows = [
            [
                _group_cell(g.label, g.fingerprint),
                str(len(g.nodes)),
                escape(finding_counts(g.findings)),
                f"<details{' open' if len(g.nodes) <= 40 else ''}>"
                f"<summary>{len(g.nodes)} node{'s' * (len(g.nodes) != 1)}</summary>"
                f"{escape(', '.join(names[key] for key in g.nodes))}</details>",
            ]
            for i, g in enumerate(result.groups)
        ]
        body.append(_table(("group", "nodes", "findings", "members"), rows))
        majority = result.groups[0]
        title = "Majority stack" if result.has_majority else "Largest stack (tied: no majority)"
        body.append(f"<h2>{title} <span class=muted>({len(majority.nodes)} nodes)</span></h2>")
        on = compact_names(names[key] for key in majority.nodes)
        what = "" if result.has_majority else f"<strong>{escape(majority.label)}</strong> · "
        body.append(f"<p>{what}On {escape(on)}<code class=id>{escape(majority.fingerprint)}</code></p>")
        body.append(
            _table(
                ("component", "value"), [[escape(k), escape(v)] for k, v in sorted(majority.stack.items())]
            )
        )
        problems = [(g, f) for g in result.groups for f in g.findings if f.severity is not Severity.INFO]
        if problems:
            body.append("<h2>Findings per group</h2>")
            body += [_finding(f, prefix=_group_cell(g.label, g.fingerprint) + " ") for g, f in problems]
    if result.corrupt:
        body.append("<h2>Unreadable files</h2>")
        body.append(_table(("file", "why"), [[escape(f), escape(why)] for f, why in result.corrupt]))
    return _page("compataudit fleet", body)


# --------------------------------------------------------------------------- pieces


def _page(title: str, body: Iterable[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
        ]
    )


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table of already-escaped cells."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _group_cell(label: str, fingerprint: str) -> str:
    """A group by what it is, its fingerprint small beside it (the id scripts and JSON use)."""
    return f"<strong>{escape(label or fingerprint)}</strong><code class=id>{escape(fingerprint)}</code>"


def _bar_chart(bars: Sequence[tuple[str, int, str]], *, unit: str, label_w: int = 170) -> str:
    """A small horizontal bar chart as inline SVG: (label, value, colour) per bar."""
    top = max((v for _, v, _ in bars), default=1) or 1
    row, bar_w = 26, 360
    parts = [
        f'<svg role="img" width="{label_w + bar_w + 90}" '
        f'height="{row * len(bars) + 8}" aria-label="{escape(unit)} per group">'
    ]
    for i, (label, value, color) in enumerate(bars):
        y = 4 + i * row
        width = max(2, round(bar_w * value / top))
        noun = unit[:-1] if value == 1 and unit.endswith("s") else unit
        cut = label if len(label) * 8 <= label_w - 8 else label[: (label_w - 8) // 8 - 1] + "…"
        parts.append(
            f'<text x="0" y="{y + 17}" font-size="13" font-family="monospace">'
            f"<title>{escape(label)}</title>{escape(cut)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="18" rx="3" fill="{color}"/>'
            f'<text x="{label_w + width + 6}" y="{y + 17}" font-size="13">{value} {escape(noun)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _verdict(report: Report) -> str:
    s = report.summary
    counts = [("error", s.errors), ("warning", s.warnings), ("info", s.infos)]
    bars = [(name, n, COLORS[name]) for name, n in counts]
    smoke = ""
    if report.smoke:
        passed = sum(1 for r in report.smoke if r.status.value == "pass")
        smoke = f" · smoke {passed}/{len(report.smoke)} passed"
    ok = s.exit_code == 0
    word = "works" if ok else "needs changes"
    color = COLORS["pass"] if ok else COLORS["error"]
    dot = (
        f'<svg width="28" height="28" role="img" aria-label="{word}">'
        f'<circle cx="14" cy="14" r="12" fill="{color}"/></svg>'
    )
    text = ", ".join(f"{n} {name}{'s' * (n != 1 and name != 'info')}" for name, n in counts)
    return (
        f'<div class="verdict">{dot}<div><strong>This stack {word}</strong>'
        f'<div class="muted">{escape(text + smoke)} · exit code {s.exit_code}</div></div>'
        f"{_bar_chart(bars, unit='', label_w=70)}</div>"
    )


def _audited(report: Report, ctx: RenderContext) -> str:
    """Which environment was audited, when, and with which command."""
    env = report.environment
    stack, target = describe_stack(env), describe_target(env)
    if stack is not None:
        what = stack[0]
    elif target is not None:
        what = target
    elif env.origin == "snapshot":
        what = "a saved snapshot (this page does not describe the machine that opened it)"
    elif env.origin == "what-if":
        what = "a what-if environment built from the command-line flags"
    else:
        what = f"the Python compataudit ran in ({env.python.executable or 'unknown interpreter'})"
    rows = [("Audited", what)]
    # when the audit ran; a what-if environment has no probe time, a snapshot an older one
    when = ctx.extra.get("audited_at") or env.created_at
    if when:
        rows.append(("When", when))
    if env.created_at and env.created_at != when and env.origin != "probe":
        rows.append(("Snapshot taken", env.created_at))
    if ctx.extra.get("command"):
        rows.append(("Command", ctx.extra["command"]))
    items = "".join(f"<dt>{escape(k)}</dt><dd><code>{escape(v)}</code></dd>" for k, v in rows)
    return f'<dl class="audited">{items}</dl>'


def _all_packages(env: Environment) -> str:
    """Every distribution, folded away: the Stack table above shows the ones that matter."""
    if not env.packages:
        return ""
    rows = [
        [escape(p.name), f"<code>{escape(p.version or '?')}</code>", escape(p.channel or "")]
        for p in sorted(env.packages, key=lambda p: p.name)
    ]
    table = _table(("distribution", "version", "conda channel"), rows)
    return f"<details><summary>All {len(env.packages)} distributions</summary>{table}</details>"


def _platform(env: Environment) -> str:
    parts = [f"{env.platform.system} {env.platform.machine}".strip()]
    if env.python.version:
        parts.append(
            f"Python {env.python.version}" + (f" ({env.python.env_kind})" if env.python.env_kind else "")
        )
    if env.platform.os_name:
        parts.append(env.platform.os_name)
    return " · ".join(p for p in parts if p)


def _stack(env: Environment) -> str:
    order = {name: i for i, name in enumerate(AUDITED_STACK)}
    shown = sorted((p for p in env.packages if p.name in order), key=lambda p: order[p.name])
    if not shown:
        return "<p>No deep-learning framework installed.</p>"
    rows = []
    for p in shown:
        build = env.build("tensorflow") if is_tensorflow(p.name) else env.build(p.name)
        note = []
        if build is not None:
            note.append(
                f"CUDA {build.cuda}" if build.cuda else ("CPU build" if build.is_cuda_build is False else "")
            )
            if build.cudnn:
                note.append(f"cuDNN {build.cudnn}")
        if p.pinned:
            note.append("pinned")
        rows.append(
            [
                escape(p.name),
                f"<code>{escape(p.version or '?')}</code>",
                escape(", ".join(n for n in note if n)),
            ]
        )
    return _table(("package", "version", "build"), rows)


def _gpu(env: Environment) -> str:
    nv = env.nvidia
    if nv.status is ProbeStatus.SKIPPED:
        return "<p>Not probed.</p>"
    if nv.status is not ProbeStatus.OK:
        return f"<p>No NVIDIA driver found ({escape(nv.status.value)}): CPU only.</p>"
    head = f"<p>Driver <code>{escape(nv.driver_version or '?')}</code>"
    head += f" (CUDA ≤ {escape(nv.cuda_driver_version)})" if nv.cuda_driver_version else ""
    head += f" · via {escape(nv.source or '?')}</p>"
    rows = [
        [
            str(g.index),
            escape(g.name),
            escape(g.compute_capability or "?"),
            escape(f"{g.memory_total_mib} MiB" if g.memory_total_mib else ""),
        ]
        for g in nv.gpus
    ]
    return head + _table(("#", "GPU", "compute capability", "memory"), rows)


def _smoke(results: Sequence[SmokeResult]) -> str:
    rows = []
    for r in results:
        css = (
            "status-pass"
            if r.status.value == "pass"
            else ("status-bad" if r.status.failed else "status-other")
        )
        timing = f"{r.forward_ms:.1f} / {(r.backward_ms or 0):.1f} ms" if r.forward_ms is not None else ""
        err = f"{r.max_rel_error:.1e}" if r.max_rel_error is not None else ""
        rows.append(
            [
                escape(r.framework),
                escape(r.device),
                escape(r.dtype),
                f'<span class="{css}">{escape(r.status.value)}</span>',
                escape(timing),
                escape(err),
                escape(r.detail or "") if r.status.value != "pass" else "",
            ]
        )
    return _table(("framework", "device", "dtype", "status", "fwd / bwd", "max rel. error", "detail"), rows)


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return '<p class="status-pass">No problems found.</p>'
    return "\n".join(_finding(f) for f in findings)


def _finding(f: Finding, *, prefix: str = "") -> str:
    sev = f.severity.value
    parts = [
        f'<div class="finding" style="--c: {COLORS[sev]}">',
        f'<div>{prefix}<span class="badge">{sev}</span>'
        f'<span class="code">{escape(f.code)}</span>{escape(f.title)}</div>',
    ]
    if f.detail:
        parts.append(f"<p>{escape(f.detail)}</p>")
    if f.fix:
        prose, commands = split_commands(f.fix)
        if prose:
            parts.append(f"<p><strong>Fix:</strong> {escape(prose)}</p>")
        elif commands:
            parts.append("<p><strong>Fix:</strong></p>")
        parts += [f"<pre><code>{escape(c)}</code></pre>" for c in commands]
    if f.components:
        parts.append(
            '<p class="muted">Components: '
            + ", ".join(f"<code>{escape(c)}</code>" for c in f.components)
            + "</p>"
        )
    if f.sources:
        # Shown as text, not links: the page never points the reader's browser elsewhere.
        items = "".join(f"<li>{escape(src)}</li>" for src in f.sources)
        parts.append(f"<details><summary>Sources ({len(f.sources)})</summary><ul>{items}</ul></details>")
    parts.append("</div>")
    return "\n".join(parts)
