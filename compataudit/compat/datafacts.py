"""How old the compatibility data is, and the newest release of each family it knows.

Two sources, both optional: a ``curated = "YYYY-MM-DD"`` date in each matrix file, and the
harvest (``harvested/*.json``, written by ``tools/harvest.py``: a ``"harvested"`` date and the
releases of every audited family the package index had that day).
The harvest is summarised when the wheel is built, into ``_compiled.json`` (the wheel ships
the summary, not the harvest), and summarised afresh only when its files changed.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any, NamedTuple

HARVEST_DIR = "harvested"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_date(value: object) -> bool:
    return isinstance(value, str) and bool(_DATE_RE.match(value))


def final_release(version: str) -> tuple[int, ...]:
    """Release tuple of a final version (``9.5.1.17`` -> ``(9, 5, 1, 17)``); () otherwise."""
    parts = version.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else ()


def newer(a: str, b: str | None) -> bool:
    """Is final version ``a`` newer than ``b`` (None: any)? A non-final ``a`` never is."""
    return bool(final_release(a)) and (b is None or final_release(a) > final_release(b))


def digest(raw: bytes) -> str:
    """CRC-32 and length: cheap, and enough to notice an edited or swapped file."""
    return f"{zlib.crc32(raw):08x}-{len(raw)}"


class DataFacts(NamedTuple):
    date: str | None  # the newest curation or harvest date
    newest: dict[str, str]  # canonical distribution name -> the newest release the data knows


class HarvestSummary(NamedTuple):
    date: str | None
    newest: dict[str, str]
    digests: dict[str, str]  # harvest file name -> digest it was summarised from
    # "torchaudio==2.5.0" -> its wheel's exact Requires-Dist pins (["torch==2.5.0"]), so a
    # what-if pin is judged by the same metadata as an installed release
    pins: dict[str, list[str]]

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date, "newest": self.newest, "digests": self.digests, "pins": self.pins}

    @classmethod
    def from_json(cls, data: object) -> HarvestSummary | None:
        if not isinstance(data, dict):
            return None
        date, newest, digests = data.get("date"), data.get("newest"), data.get("digests")
        if not (date is None or is_date(date)) or not isinstance(newest, dict):
            return None
        pins = data.get("pins")
        return cls(
            date,
            newest,
            digests if isinstance(digests, dict) else {},
            pins if isinstance(pins, dict) else {},
        )


def _merge(into: dict[str, str], name: str, version: str) -> None:
    if newer(version, into.get(name)):
        into[name] = version


def summarise_harvest(documents: list[dict[str, Any]]) -> tuple[str | None, dict[str, str]]:
    """The newest harvest date and, per harvested package, its newest final release.

    Only packages whose releases the harvest lists count: a version some framework pins
    (``nvidia-cublas-cu12==...``) says nothing about that wheel's newest release.
    """
    dates = [d["harvested"] for d in documents if is_date(d.get("harvested"))]
    releases: dict[str, str] = {}
    for doc in documents:
        packages = doc.get("packages")
        for name, package in packages.items() if isinstance(packages, dict) else ():
            known = package.get("releases") if isinstance(package, dict) else None
            for version in known if isinstance(known, dict) else ():
                _merge(releases, name, version)
    return max(dates, default=None), dict(sorted(releases.items()))


def _exact_pin(line: object) -> bool:
    """``torch==2.5.0`` (markers allowed, extras not): what the wheel always requires exactly."""
    if not isinstance(line, str):
        return False
    requirement, _, marker = line.partition(";")
    return "==" in requirement and "*" not in requirement and "extra" not in marker


def harvest_pins(documents: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per ``name==version`` the exact pins among its recorded Requires-Dist."""
    pins: dict[str, list[str]] = {}
    for doc in documents:
        packages = doc.get("packages")
        for name, package in packages.items() if isinstance(packages, dict) else ():
            known = package.get("releases") if isinstance(package, dict) else None
            for version, record in known.items() if isinstance(known, dict) else ():
                meta = record.get("metadata") if isinstance(record, dict) else None
                lines = meta.get("requires_dist") if isinstance(meta, dict) else None
                exact = [line for line in lines or () if _exact_pin(line)]
                if exact:
                    pins[f"{name}=={version}"] = exact
    return dict(sorted(pins.items()))


def read_harvest(directory: Path) -> HarvestSummary:
    """The summary of ``directory/harvested/*.json`` (the slow path: parses every file)."""
    documents = []
    digests = {}
    for path in sorted((directory / HARVEST_DIR).glob("*.json")):
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        digests[path.name] = digest(raw)
        try:
            doc = json.loads(raw)
        except ValueError:
            continue  # a broken harvest file loses its own facts, never the run
        if isinstance(doc, dict):
            documents.append(doc)
    date, newest = summarise_harvest(documents)
    return HarvestSummary(date, newest, digests, harvest_pins(documents))
