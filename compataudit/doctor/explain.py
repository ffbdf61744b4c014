"""``compataudit explain``: map a traceback or error text to ranked diagnoses.

Matching works on the text with ANSI colour codes stripped: each signature's
stable fragment must match, on a line whose exception class (if it names one)
is one the signature accepts; frame-only signatures (bare ``NotImplementedError``)
also need a traceback frame of theirs. Facts the message carries (op, backend,
architectures, versions) and the audited environment then confirm, refine or
weaken each hit (:mod:`compataudit.doctor.crosscheck`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from compataudit.doctor.signatures import SIGNATURES, Signature
from compataudit.doctor.signatures_keras import KERAS_SIGNATURES
from compataudit.model import Environment
from compataudit.render import Style, strip_ansi

KNOWLEDGE_BASE: tuple[Signature, ...] = SIGNATURES + KERAS_SIGNATURES

# A frame in any traceback style: CPython (`File "p.py", line 3, in f`), IPython
# (`File ~/p.py:3, in C.f(...)` or `~/p.py in f(x)`) and rich (`/p.py:3 in f`).
_FRAME = re.compile(r'(?P<path>[^\s"]+\.py)"?(?:, line \d+|:\d+)?,? in (?:\w+\.)*(?P<fn>[\w<>]+)')
_EXC_PREFIX = re.compile(r"^\s*(?:[\w.]+\.)?(?P<cls>[A-Z]\w*(?:Error|Exception|Warning))\b")
MAX_TEXT = 1_000_000  # characters; a pasted log beyond this is cut (its tail kept)


@dataclass
class Hit:
    """One signature matched, being refined by the analysers (mutable on purpose)."""

    signature: Signature
    kind: str
    confidence: float
    summary: str
    fix: str
    facts: dict[str, str]
    evidence: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Diagnosis:
    """A ranked cause of the error, with what supports it and the fix."""

    kind: str
    confidence: float
    summary: str
    evidence: tuple[str, ...]
    fix: str
    components: tuple[str, ...]
    sources: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "confidence": self.confidence,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "fix": self.fix,
            "components": list(self.components),
            "sources": list(self.sources),
            "signatures": list(self.signatures),
        }


class _Facts(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def fill(template: str, facts: dict[str, str]) -> str:
    """``template`` with ``{name}`` replaced by facts (unknown names become ``?``)."""
    try:
        return template.format_map(_Facts(facts))
    except (ValueError, IndexError):
        return template


def _line_at(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start : end if end != -1 else len(text)]


def _class_accepted(sig: Signature, text: str, match: re.Match[str]) -> bool:
    if not sig.exceptions:
        return True
    prefix = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
    found = _EXC_PREFIX.match(prefix) or _EXC_PREFIX.match(match.group(0))
    return found is None or found.group("cls") in sig.exceptions


def match_signature(sig: Signature, text: str, frames: list[str]) -> Hit | None:
    """A hit when one of ``sig``'s patterns matches ``text`` (plus a frame, if required)."""
    frame_hit = next((f for f in frames for rx in sig.frames if re.search(rx, f)), None)
    if sig.needs_frame and frame_hit is None:
        return None
    for pattern in sig.patterns:
        for match in re.finditer(pattern, text, re.M):
            if not _class_accepted(sig, text, match):
                continue
            facts = {key: value for key, value in match.groupdict().items() if value}
            evidence = [_line_at(text, match.start()).strip()[:300]]
            confidence = sig.confidence
            if frame_hit:
                evidence.append("frame: " + frame_hit)
                confidence += 0.05
            return Hit(
                sig,
                sig.kind,
                confidence,
                fill(sig.summary, facts),
                fill(sig.fix, facts),
                facts,
                evidence,
                list(sig.components),
                list(sig.sources),
            )
    return None


def explain_text(text: str, env: Environment | None = None) -> list[Diagnosis]:
    """Ranked diagnoses of an error text, best first; ``env`` confirms or weakens them."""
    from compataudit.doctor.crosscheck import analyse

    clean = strip_ansi(text[-MAX_TEXT:]).replace("\r\n", "\n")
    # Frame lines only (a bounded length keeps the regex linear on pasted blobs).
    frames = [
        f"{m.group('path')} in {m.group('fn')}"
        for line in clean.splitlines()
        if ".py" in line and len(line) <= 2000
        for m in _FRAME.finditer(line)
    ]
    hits = []
    for sig in KNOWLEDGE_BASE:
        hit = match_signature(sig, clean, frames)
        if hit is not None:
            analyse(hit, clean, env)
            hits.append(hit)
    return rank(hits)


def rank(hits: list[Hit]) -> list[Diagnosis]:
    """One diagnosis per kind (its strongest hit, evidence merged), best first."""
    by_kind: dict[str, list[Hit]] = {}
    for hit in hits:
        by_kind.setdefault(hit.kind, []).append(hit)
    out = []
    for kind, group in by_kind.items():
        group.sort(key=lambda h: -h.confidence)
        best = group[0]
        # Several independent signatures of one cause make it more likely.
        bonus = 0.05 * (len({h.signature.id for h in group}) - 1)
        out.append(
            Diagnosis(
                kind=kind,
                confidence=round(min(0.99, max(0.05, best.confidence + bonus)), 2),
                summary=best.summary,
                evidence=tuple(dict.fromkeys(e for h in group for e in h.evidence)),
                fix=best.fix,
                components=tuple(dict.fromkeys(c for h in group for c in h.components)),
                sources=tuple(dict.fromkeys(s for h in group for s in h.sources)),
                signatures=tuple(dict.fromkeys(h.signature.id for h in group)),
            )
        )
    out.sort(key=lambda d: (-d.confidence, d.kind))
    return out


def render_json(diagnoses: list[Diagnosis]) -> str:
    return json.dumps({"diagnoses": [d.to_json() for d in diagnoses]}, indent=2)


def render_table(diagnoses: list[Diagnosis], *, color: bool = False) -> str:
    """Plain text, best diagnosis first."""
    if not diagnoses:
        return "No known error signature found in the input."
    style = Style(color)
    lines: list[str] = []
    for i, d in enumerate(diagnoses, 1):
        lines.append(
            f"{i}. {style(d.kind, 'bold')} (confidence {d.confidence:.2f}) [{', '.join(d.components)}]"
        )
        lines.append(f"   {d.summary}")
        lines.extend(f"   evidence: {e}" for e in d.evidence)
        lines.append(f"   fix: {d.fix}")
        if d.sources:
            lines.append(f"   seen in: {', '.join(d.sources[:3])}")
    return "\n".join(lines)
