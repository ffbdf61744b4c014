"""What changed between two harvests, as Markdown (maintainer tool; the refresh workflow's
pull-request body).

Compares ``--old DIR`` and ``--new DIR`` (each a ``matrices/harvested`` folder) and lists,
per package: releases that appeared (with upload day and Requires-Python), releases that
disappeared, recorded facts that changed for a release both hold (Requires-Python, the
Requires-Dist read, yanked), and the newest release per CPython where it moved. Offline:
reads only the two folders. Exit status 0 whether or not anything changed; ``--quiet`` prints
nothing when nothing did::

    cp -r matrices/harvested /tmp/before
    python tools/harvest.py
    python tools/harvest_summary.py --old /tmp/before --new matrices/harvested
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version


@dataclass
class Change:
    package: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    newest: list[str] = field(default_factory=list)
    first: str | None = None  # a package harvested for the first time: its range

    def __bool__(self) -> bool:
        return bool(self.first or self.added or self.removed or self.changed or self.newest)


def load(directory: Path) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """(package -> its record, family file -> harvest date) of one harvest folder."""
    packages: dict[str, dict[str, Any]] = {}
    dates: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SystemExit(f"harvest_summary: {path}: {exc}") from None
        dates[path.stem] = str(doc.get("harvested", "?"))
        packages.update(doc.get("packages") or {})
    return packages, dates


def _key(version: str) -> tuple[int, Version | str]:
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


def _facts(record: dict[str, Any]) -> dict[str, Any]:
    meta = record.get("metadata") or {}
    return {
        "Requires-Python": record.get("requires_python"),
        "Requires-Dist": sorted(meta.get("requires_dist") or []) if "error" not in meta else None,
        "yanked": bool(record.get("yanked")),
    }


def compare_package(name: str, old: dict[str, Any], new: dict[str, Any]) -> Change:
    change = Change(name)
    before, after = old.get("releases") or {}, new.get("releases") or {}
    if not old and after:
        ordered = sorted(after, key=_key)
        change.first = f"{len(after)} releases, {ordered[0]} to {ordered[-1]}"
        after = {}
    for version in sorted(set(after) - set(before), key=_key):
        rel = after[version]
        python = rel.get("requires_python") or "any"
        change.added.append(f"{version} (uploaded {rel.get('uploaded') or '?'}, Requires-Python {python})")
    change.removed.extend(sorted(set(before) - set(after), key=_key))
    for version in sorted(set(before) & set(after), key=_key):
        was, now = _facts(before[version]), _facts(after[version])
        for fact in was:
            if now[fact] is None and fact == "Requires-Dist":
                continue  # the metadata could not be read this time: not a change of fact
            if was[fact] != now[fact]:
                change.changed.append(f"{version}: {fact} {_show(was[fact])} -> {_show(now[fact])}")
    old_newest, new_newest = old.get("newest_by_python") or {}, new.get("newest_by_python") or {}
    moved = [
        f"{python} {old_newest.get(python, '-')} -> {new_newest.get(python, '-')}"
        for python in sorted(set(old_newest) | set(new_newest), key=_key)
        if old_newest.get(python) != new_newest.get(python)
    ]
    if moved and not old_newest:
        change.newest.append("first recorded: " + ", ".join(f"{k} {v}" for k, v in new_newest.items()))
    elif moved:
        change.newest.append(", ".join(moved))
    return change


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    return str(value)


def summarise(old_dir: Path, new_dir: Path) -> tuple[str, int]:
    """The Markdown summary and the number of packages that changed."""
    old, _ = load(old_dir)
    new, dates = load(new_dir)
    changes = [compare_package(name, old.get(name, {}), record) for name, record in sorted(new.items())]
    changes = [c for c in changes if c]
    gone = sorted(set(old) - set(new))
    lines = [f"## Data refresh: harvest of {max(dates.values(), default='?')}", ""]
    added = sum(len(c.added) for c in changes)
    lines.append(
        f"{added} new release(s) in {sum(1 for c in changes if c.added)} package(s); "
        f"{sum(len(c.changed) for c in changes)} changed fact(s); "
        f"{len(gone)} package(s) no longer harvested; "
        f"{sum(1 for c in changes if c.first)} package(s) harvested for the first time."
    )
    for change in changes:
        lines += ["", f"### {change.package}"]
        lines += [f"- harvested for the first time: {change.first}"] if change.first else []
        lines += [f"- new: {item}" for item in change.added]
        lines += [f"- gone from the index: {item}" for item in change.removed]
        lines += [f"- changed: {item}" for item in change.changed]
        lines += [f"- newest release per CPython: {item}" for item in change.newest]
    lines += [f"- no longer harvested: {name}" for name in gone]
    return "\n".join(lines) + "\n", len(changes) + len(gone)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the harvest folder before the refresh")
    parser.add_argument("--new", type=Path, required=True, help="the harvest folder after it")
    parser.add_argument("--quiet", action="store_true", help="print nothing when nothing changed")
    args = parser.parse_args(argv)
    for folder in (args.old, args.new):
        if not folder.is_dir():
            print(f"harvest_summary: {folder}: not a folder", file=sys.stderr)
            return 2
    text, changed = summarise(args.old, args.new)
    if changed or not args.quiet:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
