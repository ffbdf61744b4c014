"""``compataudit explain``: map a traceback or error text to ranked diagnoses.

Matching works on the text with ANSI colour codes stripped: each signature's
stable fragment must match, on a line whose exception class (if it names one)
is one the signature accepts; frame-only signatures (bare ``NotImplementedError``)
also need a traceback frame of theirs. Facts the message carries (op, backend,
architectures, versions, the raising frame) and the audited environment then
confirm, refine, weaken or reject each hit (:mod:`compataudit.doctor.crosscheck`).
The signature tables live in the ``signatures*`` modules; the values produced in
:mod:`compataudit.doctor.diagnosis`.
"""

from __future__ import annotations

import re

from compataudit.doctor.crosscheck import analyse
from compataudit.doctor.diagnosis import Diagnosis, Hit, fill, rank
from compataudit.doctor.signatures import SIGNATURES, Signature
from compataudit.doctor.signatures_env import ENV_SIGNATURES
from compataudit.doctor.signatures_envlibs import ENVLIB_SIGNATURES
from compataudit.doctor.signatures_keras import KERAS_SIGNATURES
from compataudit.doctor.signatures_keras_migration import KERAS_MIGRATION_SIGNATURES
from compataudit.doctor.signatures_ops import OPS_SIGNATURES
from compataudit.model import Environment
from compataudit.render import strip_ansi

__all__ = ["KNOWLEDGE_BASE", "Diagnosis", "explain_text"]

KNOWLEDGE_BASE: tuple[Signature, ...] = (
    SIGNATURES
    + ENV_SIGNATURES
    + ENVLIB_SIGNATURES
    + OPS_SIGNATURES
    + KERAS_SIGNATURES
    + KERAS_MIGRATION_SIGNATURES
)

# A frame in any traceback style: CPython (`File "p.py", line 3, in f`), IPython
# (`File ~/p.py:3, in C.f(...)` or `~/p.py in f(x)`) and rich (`/p.py:3 in f`).
_FRAME = re.compile(r'(?P<path>[^\s"]+\.pyc?)"?(?:, line \d+|:\d+)?,? in (?:\w+\.)*(?P<fn>[\w<>]+)')
_EXC_PREFIX = re.compile(r"^\s*(?:[\w.]+\.)?(?P<cls>[A-Z]\w*(?:Error|Exception|Warning))\b")
MAX_TEXT = 1_000_000  # characters; a pasted log beyond this is cut (its tail kept)


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
    frame_hit = next((f for f in frames for rx in sig.compiled_frames if rx.search(f)), None)
    if sig.needs_frame and frame_hit is None:
        return None
    for pattern in sig.compiled:
        for match in pattern.finditer(text):
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
                match.start(),
            )
    return None


def explain_text(text: str, env: Environment | None = None) -> list[Diagnosis]:
    """Ranked diagnoses of an error text, best first; ``env`` confirms or weakens them."""
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
            if hit.confidence > 0:  # an analyser rejects a hit its facts contradict
                hits.append(hit)
    return rank(hits)
