"""A fleet (`compataudit fleet`) as a table for people, at most ``width`` (80) columns wide.

Groups are shown by their label (``majority``, ``torch 2.4.1``); the groups table keeps
each group's fingerprint in its ``id`` column. Node lists are Slurm hostlists
(``node-[00-03,06]``), folded into whole expressions that each fit on a line.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence

from compataudit.plan.fleet import FleetResult, Group, change_text, finding_counts, node_names

_NODE_W, _LABEL_W = 24, 28  # widest node name and group label shown whole in a column
_GROUP_CAPS = (_LABEL_W, 5, 40, 12)  # group, nodes, findings, id
_MAX_NAME_LINES = 6  # of one node list; the JSON and HTML outputs name every node
_RANGED = re.compile(r"^([^\[\],]*)\[([^\[\]]*)\]([^\[\],]*)$")  # prefix[ranges]suffix


def render_table(result: FleetResult, *, limit: int = 40, width: int = 80) -> str:
    """Plain-text summary: groups, the majority stack, outliers (first ``limit``), corrupt files."""
    if not result.groups and not result.corrupt and not result.missing:
        return "No snapshots found."
    parts = [f"{result.nodes} nodes", f"{len(result.groups)} distinct stacks"]
    parts.append(f"{len(result.corrupt)} unreadable files")
    if result.failing:
        parts.append(f"{len(result.failing)} failing")
    if result.expected is not None:
        parts.append(f"{len(result.missing)} of {result.expected} expected missing")
    lines = _fold_words(parts, width, sep=", ")
    if result.collected:
        first, last = result.collected
        lines += _fold_words(
            [f"Collected {first}", f"{last}"] if last != first else [f"Collected {first}"], width, sep=" .. "
        )
    if result.missing:
        lines += ["", *_names_after("Missing (expected, sent nothing): ", result.missing, width)]
    if result.groups:
        lines += ["", *_majority(result, width)]
        lines += ["", "Groups:", *_groups(result, width)]
    shown = [(g, [f for f in g.findings if f.severity.value != "info"]) for g in result.groups]
    if any(findings for _, findings in shown):
        lines += ["", "Findings per group:"]
    for g, findings in shown:
        if findings:
            listed = [(f"  {f.severity.value}", f.code, f.title) for f in findings]
            lines += [f"{_group_label(g)}:", *_grid(listed, ("", "", ""), width, _wrap, (10, 8))[2:]]
    if result.outliers:
        tied = bool(result.groups) and not result.has_majority
        reference = _group_label(result.groups[0]) if tied else "the majority"
        lines += [
            "",
            *_wrap(f"Outliers (failed checks on the node, what sets them apart from {reference}):", width),
        ]
        rows = [
            (
                o.node,
                o.group_label or o.group,
                [p.text() for p in o.problems] + [change_text(c) for c in o.differences],
            )
            for o in result.outliers[:limit]
        ]  # one difference per line, the node named once
        lines += _grid(rows, ("node", "group", "differences"), width, _wrap_each, (_NODE_W, _LABEL_W))
        if len(result.outliers) > limit:
            lines.append(f"... and {len(result.outliers) - limit} more (use --format json)")
    if result.corrupt:
        lines += ["", "Unreadable files:"]
        for f, why in result.corrupt:  # the file whole on a line, where the line allows
            if len(f) + 4 > width:
                lines += [f"  {f}:", *_wrap(why, width, indent="    ", hang="    ")]
            else:
                lines += _wrap(f"{f}: {why}", width, indent="  ", hang="    ")
    return "\n".join(lines)


def _group_label(g: Group) -> str:
    return g.label or g.fingerprint


def _majority(result: FleetResult, width: int) -> list[str]:
    """The majority stack, its nodes named, then its components."""
    g = result.groups[0]
    count = f"{len(g.nodes)} node{'s' * (len(g.nodes) != 1)}"
    if result.has_majority:
        head = f"Majority stack ({count}): "
    else:
        head = f"Largest stack, tied, no majority ({_group_label(g)}, {count}): "
    names = node_names(result.groups)
    lines = _names_after(head, [names[key] for key in g.nodes], width)
    rows = sorted(g.stack.items())
    return lines + _grid(rows, ("component", "value"), width, _wrap, (_NODE_W,))


def _groups(result: FleetResult, width: int) -> list[str]:
    """group | nodes | findings | id, and each group's members beside or under its row."""
    names = node_names(result.groups)
    rows = [
        (_group_label(g), str(len(g.nodes)), finding_counts(g.findings), g.fingerprint) for g in result.groups
    ]
    members = [[names[key] for key in g.nodes] for g in result.groups]
    widths = _widths([("group", "nodes", "findings", "id"), *rows], _GROUP_CAPS)
    room = width - sum(widths) - 2 * len(widths)
    beside = [fold_names(m, room) for m in members] if room >= 20 else []
    if beside and all(len(b) == len(fold_names(m, width - 2)) for b, m in zip(beside, members, strict=True)):
        with_members = [(*row, m) for row, m in zip(rows, members, strict=True)]
        return _grid(
            with_members, ("group", "nodes", "findings", "id", "members"), width, _names_cell, _GROUP_CAPS
        )
    under = [["  " + line for line in fold_names(m, width - 2)] for m in members]  # no room beside
    return _grid(rows, ("group", "nodes", "findings", "id"), width, _wrap, _GROUP_CAPS[:3], after=under)


def _grid(
    rows: Sequence[Sequence[object]],
    header: Sequence[str],
    width: int,
    fold: Callable[[object, int], list[str]],
    caps: Sequence[int],
    *,
    after: Sequence[list[str]] | None = None,
) -> list[str]:
    """A table whose last column is folded by ``fold(cell, room)`` into the width the others
    leave. The others are as wide as their cells up to a cap; a longer cell (a node named by
    its file's path) goes whole on a line of its own above its row. ``after``: lines to print
    under each row."""
    fixed = [[str(c) for c in row[:-1]] for row in rows]
    widths = _widths([header[:-1], *fixed], caps)
    room = max(16, width - sum(widths) - 2 * len(widths))
    entries: list[str | list[str]] = [[*header], []]  # a str: a line as it is
    for index, (cells, row) in enumerate(zip(fixed, rows, strict=True)):
        for i, cell in enumerate(cells):
            if len(cell) > widths[i]:
                at = sum(widths[:i]) + 2 * i
                entries.append(" " * at + cell if at + len(cell) <= width else cell)
        shown = [c if len(c) <= w else "" for c, w in zip(cells, widths, strict=True)]
        folded = fold(row[-1], room) or [""]
        entries.append([*shown, folded[0]])
        entries += [[*("" for _ in widths), more] for more in folded[1:]]
        entries += after[index] if after is not None else []
    last = max(len(e[-1]) for e in entries if isinstance(e, list) and e)
    entries[1] = ["-" * w for w in [*widths, min(room, last)]]
    lines = []
    for entry in entries:
        if isinstance(entry, str):
            lines.append(entry)
            continue
        padded = [c + " " * (w - len(c)) for c, w in zip(entry, widths, strict=False)]
        lines.append("  ".join([*padded, entry[-1]]).rstrip())
    return lines


def _widths(rows: Sequence[Sequence[str]], caps: Sequence[int]) -> list[int]:
    """Each column as wide as its widest cell that fits under the column's cap."""
    return [max(len(r[i]) if len(r[i]) <= cap else 0 for r in rows) for i, cap in enumerate(caps)]


def _wrap(text: object, room: int, indent: str = "", hang: str = "") -> list[str]:
    """``text`` in lines of ``room`` columns, broken between words only: a word longer than
    a line (a deep path) stays whole, so it still copies as one."""
    lines = textwrap.wrap(
        str(text),
        width=room,
        break_on_hyphens=False,
        break_long_words=False,
        initial_indent=indent,
        subsequent_indent=hang,
    )
    return lines or [indent]


def _wrap_each(texts: object, room: int) -> list[str]:
    items = texts if isinstance(texts, list) else [texts]
    return [line for t in items or ["-"] for line in _wrap(t, room)]


def _names_cell(names: object, room: int) -> list[str]:
    return fold_names(names if isinstance(names, list) else [str(names)], room)


def _names_after(head: str, names: Sequence[str], width: int) -> list[str]:
    """``head`` then the node list, on its line when it fits, else folded below it."""
    folded = fold_names(names, width - len(head))
    if len(folded) == 1 and len(head) + len(folded[0]) <= width:
        return [head + folded[0]]
    return [head.rstrip(), *("  " + line for line in fold_names(names, width - 2))]


def fold_names(names: Sequence[str], room: int) -> list[str]:
    """Node names as hostlist expressions in lines of at most ``room`` columns, each line
    whole expressions (``gpu[0001-0099,0101-0416],`` / ``gpu[0418-0999]``)."""
    from compataudit.plan.expect import compact_names

    pieces: list[str] = []
    for part in _top_level(compact_names(names)):
        pieces += _split_ranges(part, room - 1)
    lines = _fold_words(pieces, room, sep=",")
    if len(lines) > _MAX_NAME_LINES:
        return [*lines[: _MAX_NAME_LINES - 1], f"... ({len(names)} nodes)"]
    return lines


def _top_level(expression: str) -> list[str]:
    """``a[1-3],b7`` -> ``a[1-3]``, ``b7``: the commas outside brackets (", " from the
    comma-joined fallback too)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(expression):
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(expression[start:i].strip())
            start = i + 1
    parts.append(expression[start:].strip())
    return [p for p in parts if p]


def _split_ranges(part: str, room: int) -> list[str]:
    """One ``prefix[r1,r2,...]suffix`` longer than ``room`` as several whole expressions."""
    match = _RANGED.match(part)
    if len(part) <= room or match is None:
        return [part]
    prefix, ranges, suffix = match.groups()
    out: list[str] = []
    chunk: list[str] = []
    for r in ranges.split(","):
        if chunk and len(prefix) + len(",".join([*chunk, r])) + len(suffix) + 2 > room:
            out.append(f"{prefix}[{','.join(chunk)}]{suffix}")
            chunk = []
        chunk.append(r)
    out.append(f"{prefix}[{','.join(chunk)}]{suffix}")
    return out


def _fold_words(words: Sequence[str], room: int, *, sep: str) -> list[str]:
    """``words`` joined by ``sep``, a new line wherever the next would pass ``room``
    (the separator stays at the end of the line it closes)."""
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current}{sep}{word}" if current else word
        if current and len(candidate) + len(sep.rstrip()) > room:
            lines.append(current + sep.rstrip())
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines
