"""Diagnoses (`compataudit explain`) as a table for people and as JSON."""

from __future__ import annotations

import json

from compataudit.doctor.diagnosis import Diagnosis
from compataudit.render import Style, fix_lines, wrap


def render_json(diagnoses: list[Diagnosis]) -> str:
    return json.dumps({"diagnoses": [d.to_json() for d in diagnoses]}, indent=2)


def render_table(diagnoses: list[Diagnosis], *, color: bool = False, width: int | None = None) -> str:
    """Plain text, best diagnosis first; prose wrapped to ``width``, commands whole."""
    if not diagnoses:
        return "No known error signature found in the input."
    style = Style(color)
    lines: list[str] = []
    for i, d in enumerate(diagnoses, 1):
        lines.append(
            f"{i}. {style(d.kind, 'bold')} (confidence {d.confidence:.2f}) [{', '.join(d.components)}]"
        )
        lines += wrap(d.summary, width, first="   ", indent="   ")
        for e in d.evidence:
            lines += wrap(e, width, first="   evidence: ", indent="             ")
        lines += fix_lines(d.fix, width, first="   fix: ", indent="        ")
        if d.sources:  # one URL a line: a terminal that wraps one breaks it for the click
            lines += [f"   {'seen in:' if n == 0 else '':<8} {url}" for n, url in enumerate(d.sources[:3])]
    return "\n".join(lines)
