"""The values ``explain`` produces: a :class:`Hit` being refined, a ranked :class:`Diagnosis`.

Kept apart from the matcher (:mod:`compataudit.doctor.explain`) and the fact
readers (:mod:`compataudit.doctor.crosscheck`) so that both import these types
from below and neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compataudit.doctor.signatures import Signature


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
    position: int = 0  # where the match starts in the (cleaned) text


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
