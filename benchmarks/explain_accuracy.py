"""Accuracy of ``compataudit explain`` on the real traceback corpus.

Every fixture in tests/fixtures/tracebacks is an error text copied from a public
issue (its first line cites the URL); labels.tsv gives each one's family and the
diagnosis kind a maintainer would name. This prints, per family, how many get
that kind as the top diagnosis, how many get no diagnosis at all, and the
misses, for the corpus and for the held-out texts (``h*``, collected after the
signatures were written); plus the mean time per explained text. Run it with the project's
interpreter: ``.venv/bin/python benchmarks/explain_accuracy.py``.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "tracebacks"


def load_labels() -> list[tuple[str, str, str]]:
    rows = []
    for line in (FIXTURES / "labels.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, family, kind = line.split("\t")
            rows.append((name, family, kind))
    return rows


def report(title: str, rows: list[tuple[str, str, str]]) -> float:
    """Print per-family counts of right top diagnoses for ``rows``; return the seconds spent."""
    from compataudit.doctor.explain import explain_text

    per_family: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # right, none, total
    misses: list[str] = []
    elapsed = 0.0
    for name, family, expected in rows:
        text = (FIXTURES / name).read_text(encoding="utf-8")
        start = time.perf_counter()
        diagnoses = explain_text(text)
        elapsed += time.perf_counter() - start
        counts = per_family[family]
        counts[2] += 1
        got = diagnoses[0].kind if diagnoses else None
        # "none": no known cause fits, and saying nothing is the right answer.
        if got == expected or (expected == "none" and got is None):
            counts[0] += 1
        else:
            counts[1] += got is None and expected != "none"
            misses.append(f"  {name}: expected {expected}, got {got or 'nothing'}")
    right = sum(c[0] for c in per_family.values())
    print(f"== {title}")
    print(f"{'family':<20} {'right':>5} {'none':>5} {'total':>5}")
    for family, (ok, none, total) in sorted(per_family.items()):
        print(f"{family:<20} {ok:>5} {none:>5} {total:>5}")
    none = sum(c[1] for c in per_family.values())
    print(f"{'all':<20} {right:>5} {none:>5} {len(rows):>5}   ({100 * right / max(len(rows), 1):.1f}% right)")
    if misses:
        print("misses:")
        print("\n".join(misses))
    return elapsed


def generic_rule(rows: list[tuple[str, str, str]]) -> None:
    """How often the generic base-class rule (NIE-base) is first, and whether it is then right."""
    from compataudit.doctor.explain import explain_text

    fired = right = wrong = 0
    for name, _family, expected in rows:
        diagnoses = explain_text((FIXTURES / name).read_text(encoding="utf-8"))
        fired += any("NIE-base" in d.signatures for d in diagnoses)
        if diagnoses and "NIE-base" in diagnoses[0].signatures:
            if diagnoses[0].kind == expected:
                right += 1
            else:
                wrong += 1
                print(f"  generic rule wrong: {name}: {diagnoses[0].kind}, expected {expected}")
    print(
        f"== generic base-class rule on all {len(rows)} texts: fired {fired}, "
        f"first and right {right}, first and wrong {wrong}"
    )


def main() -> int:
    sys.path.insert(0, str(ROOT))
    rows = load_labels()
    # h*: texts collected after the signatures were written, never tuned on (a held-out check).
    corpus = [r for r in rows if not r[0].startswith("h")]
    held_out = [r for r in rows if r[0].startswith("h")]
    elapsed = report("corpus (the signatures were written from these)", corpus)
    elapsed += report("held out (collected afterwards)", held_out)
    generic_rule(rows)
    print(f"mean time per text: {1000 * elapsed / len(rows):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
