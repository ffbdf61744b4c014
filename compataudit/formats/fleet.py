"""A fleet (`compataudit fleet`) as a table for people."""

from __future__ import annotations

from compataudit.plan.fleet import FleetResult, change_text, finding_counts
from compataudit.render import table


def render_table(result: FleetResult, *, limit: int = 40) -> str:
    """Plain-text summary: groups, the majority stack, outliers (first ``limit``), corrupt files."""
    if not result.groups and not result.corrupt and not result.missing:
        return "No snapshots found."
    head = (
        f"{result.nodes} nodes, {len(result.groups)} distinct stacks, {len(result.corrupt)} unreadable files"
    )
    if result.failing:
        head += f", {len(result.failing)} failing"
    if result.expected is not None:
        head += f", {len(result.missing)} of {result.expected} expected missing"
    lines = [head]
    if result.collected:
        first, last = result.collected
        lines.append(f"Collected {first}" + (f" .. {last}" if last != first else ""))
    if result.missing:
        from compataudit.plan.expect import collect

        lines += ["", f"Missing (expected, sent nothing): {collect(result.missing)}"]
    if result.groups:
        lines += [
            "",
            f"Majority stack ({result.groups[0].fingerprint}, {len(result.groups[0].nodes)} nodes):",
        ]
        lines += table(sorted(result.groups[0].stack.items()), header=("component", "value"), max_pad=48)
        rows = [(g.fingerprint, str(len(g.nodes)), finding_counts(g.findings)) for g in result.groups]
        lines += ["", "Groups:", *table(rows, header=("group", "nodes", "findings"), max_pad=48)]
    for g in result.groups:
        for f in g.findings:
            if f.severity.value != "info":
                lines.append(f"  {g.fingerprint}  {f.severity.value:<7} {f.code:<7} {f.title}")
    if result.outliers:
        lines += ["", "Outliers (failed checks on the node, what sets them apart from the majority):"]
        rows = []
        for o in result.outliers[:limit]:  # one difference per line, the node named once
            texts = [p.text() for p in o.problems] + [change_text(c) for c in o.differences] or ["-"]
            rows.append((o.node, o.group, texts[0]))
            rows += [("", "", text) for text in texts[1:]]
        lines += table(rows, header=("node", "group", "differences"), max_pad=48)
        if len(result.outliers) > limit:
            lines.append(f"... and {len(result.outliers) - limit} more (use --format json)")
    if result.corrupt:
        lines += ["", "Unreadable files:"] + [f"  {f}: {why}" for f, why in result.corrupt]
    return "\n".join(lines)
