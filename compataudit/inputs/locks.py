"""Lock files: ``uv.lock``, ``pylock.toml`` (PEP 751), ``poetry.lock`` and ``Pipfile.lock``.

Each is read with a real parser (tomllib / json). Every locked distribution
with a version becomes a pin at the line that names it; distributions locked
twice for different environments keep their markers, evaluated later against
the audited environment. The locking project itself (uv's ``virtual`` or
``editable`` source) and checkouts without a version are listed in a note.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from compataudit.distributions import canonical_name
from compataudit.errors import InputError
from compataudit.inputs import Pin, StackFile, where


def read(path: str, text: str, kind: str) -> StackFile:
    """The pins of lock file ``path`` (``kind``: uv.lock, pylock, poetry.lock, Pipfile.lock)."""
    if kind == "Pipfile.lock":
        return _pipfile_lock(path, text)
    data = _toml(path, text)
    table = "packages" if kind == "pylock" else "package"
    if kind == "pylock":
        lock_version = str(data.get("lock-version", ""))
        if not lock_version.startswith("1."):
            raise InputError(f"{path}: lock-version {lock_version!r} is not a PEP 751 lock (1.x)")
    entries = data.get(table, [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: [[{table}]] is not an array of tables")
    lines = _entry_lines(text, table)
    pins: list[Pin] = []
    skipped: list[str] = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InputError(f"{where(path, line)}: a [[{table}]] entry without a name")
        name = canonical_name(entry["name"])
        version = entry.get("version")
        if not isinstance(version, str) or _is_local_project(kind, entry):
            skipped.append(f"{name} ({where(path, line)})")
            continue
        pins.append(Pin(name=name, version=version, where=where(path, line), marker=_marker(kind, entry)))
    notes: tuple[str, ...] = ()
    if skipped:
        notes = (f"{path}: not audited (the project itself, or no version locked): " + ", ".join(skipped),)
    return StackFile(path=path, kind=kind, pins=tuple(pins), notes=notes)


def _toml(path: str, text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None


def _entry_lines(text: str, table: str) -> list[int]:
    """The line of ``name = ...`` in each ``[[table]]``, in file order (tomllib keeps none)."""
    header = f"[[{table}]]"
    lines: list[int] = []
    inside = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("["):
            if inside and stripped != header:
                inside = False
            if stripped == header:
                lines.append(number)  # fallback: the header itself
                inside = True
            continue
        if inside and re.match(r"name\s*=", stripped):
            lines[-1] = number
            inside = False
    return lines


def _is_local_project(kind: str, entry: Mapping[str, Any]) -> bool:
    source = entry.get("source")
    if kind == "uv.lock" and isinstance(source, dict):
        return bool({"virtual", "editable", "directory"} & set(source))
    if kind == "poetry.lock" and isinstance(source, dict):
        return source.get("type") in ("directory", "file")
    return kind == "pylock" and "directory" in entry


def _marker(kind: str, entry: Mapping[str, Any]) -> str | None:
    if kind == "uv.lock":
        return _any_of(entry.get("resolution-markers", ()))
    if kind == "pylock":
        marker = entry.get("marker")
        return marker if isinstance(marker, str) else None
    markers = entry.get("markers")  # poetry: a string, or one per dependency group
    if isinstance(markers, dict):
        return _any_of(markers.values())
    return markers if isinstance(markers, str) else None


def _any_of(markers: Iterable[Any]) -> str | None:
    texts = [m for m in markers if isinstance(m, str) and m.strip()]
    if not texts:
        return None
    return texts[0] if len(texts) == 1 else " or ".join(f"({m})" for m in texts)


def _pipfile_lock(path: str, text: str) -> StackFile:
    """pipenv's lock: the ``default`` section (what ``pipenv install`` installs; not ``develop``)."""
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    default = data.get("default") if isinstance(data, dict) else None
    if not isinstance(default, dict):
        raise InputError(f'{path}: no "default" section: not a Pipfile.lock')
    line_of = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        match = re.match(r'\s*"([^"]+)"\s*:\s*\{', raw)
        if match and canonical_name(match.group(1)) not in line_of:
            line_of[canonical_name(match.group(1))] = number
    pins: list[Pin] = []
    skipped: list[str] = []
    for raw_name, entry in default.items():
        name = canonical_name(raw_name)
        at = where(path, line_of.get(name))
        version = entry.get("version", "") if isinstance(entry, dict) else ""
        if not isinstance(version, str) or not version.startswith("=="):
            skipped.append(f"{name} ({at})")
            continue
        marker = entry.get("markers")
        pins.append(
            Pin(name=name, version=version[2:], where=at, marker=marker if isinstance(marker, str) else None)
        )
    notes = (f"{path}: not audited (no version locked): " + ", ".join(skipped),) if skipped else ()
    return StackFile(path=path, kind="Pipfile.lock", pins=tuple(pins), notes=notes)
