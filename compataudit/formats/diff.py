"""A diff of two environments (`compataudit diff`) as a table for people."""

from __future__ import annotations

from compataudit.plan.diff import TIER_LEAF, DiffResult
from compataudit.render import table


def render_table(result: DiffResult, name_a: str = "A", name_b: str = "B", *, verbose: int = 0) -> str:
    """Plain-text rendering for the terminal: what matters first; changes of packages
    outside the audited stack and its runtime are a count unless ``verbose``."""
    if name_a == name_b:  # one file against itself, or this machine twice: call them A and B
        name_a, name_b = f"A ({name_a})", f"B ({name_b})"
    if result.identical:
        return f"No differences that matter between {name_a} and {name_b}."
    lines: list[str] = []
    shown = [c for c in result.changes if verbose or c.tier < TIER_LEAF]
    if shown:
        rows = [(c.component, c.before or "-", c.after or "-", c.kind) for c in shown]
        lines.extend(table(rows, header=("component", name_a, name_b, "kind"), max_pad=48))
    rest = len(result.changes) - len(shown)
    if rest:
        lines.append(f"... and {rest} other package{'s' * (rest != 1)} changed (-v lists them)")
    for label, only in ((name_a, result.findings_only_in_a), (name_b, result.findings_only_in_b)):
        if only:
            lines.append("")
            lines.append(f"Findings only in {label}:")
            lines.extend(f"  {f.severity.value:<7} {f.code:<7} {f.title}" for f in only)
    return "\n".join(lines)
