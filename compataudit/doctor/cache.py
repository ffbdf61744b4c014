"""Per-file lint summaries cached by content hash in the user's cache directory.

Safe by construction: the key hashes the tool version, the summary version and
the file's bytes; entries are written atomically (temp file, then rename); an
unreadable or corrupt entry is a miss; a cache directory that cannot be written
is simply not written (lint never fails because of its cache).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import types
import typing
from dataclasses import asdict
from pathlib import Path
from typing import Any

from compataudit import __version__
from compataudit.doctor.summary import SUMMARY_VERSION, ClassSummary, FileSummary, InitFacts
from compataudit.files import read_regular


def _code_digest() -> str:
    """A hash of the summariser's own source: a changed summariser never reads old entries,
    even in a development checkout where nobody bumped SUMMARY_VERSION."""
    digest = hashlib.sha256()
    for name in ("summary.py", "summary_init.py", "summary_conv.py"):
        try:
            digest.update((Path(__file__).with_name(name)).read_bytes())
        except OSError:  # a zipped install: the versions alone must do
            digest.update(name.encode())
    return digest.hexdigest()[:12]


_TAG = f"compataudit-{__version__}-summary-{SUMMARY_VERSION}-{_code_digest()}"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/compataudit/lint`` (``~/.cache`` when unset; LOCALAPPDATA on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base and sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "compataudit" / "lint"


def content_key(data: bytes) -> str:
    return hashlib.sha256(_TAG.encode() + b"\0" + data).hexdigest()


def _entry(cache_dir: Path, key: str) -> Path:
    return cache_dir / _TAG / key[:2] / f"{key}.json"


def load(cache_dir: Path, key: str) -> FileSummary | None:
    """The cached summary, or None (absent, unreadable, corrupt or another version)."""
    try:
        raw = json.loads(read_regular(_entry(cache_dir, key)).decode("utf-8"))
        if raw.get("tag") != _TAG or raw.get("key") != key:
            return None
        summary = from_json(raw["summary"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    # An entry someone edited (or a disk corrupted) is a miss, never a crash later on.
    return summary if _conforms(summary, FileSummary) else None


def _conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` is of the (dataclass, list, dict, tuple, union, plain) type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, a) for a in args)
    if hint is type(None):
        return value is None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _hints(hint)
        return isinstance(value, hint) and all(
            _conforms(getattr(value, f.name), hints[f.name]) for f in dataclasses.fields(hint)
        )
    if origin is list:
        return isinstance(value, list) and all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if origin is tuple:
        return (
            isinstance(value, tuple)
            and len(value) == len(args)
            and all(_conforms(v, a) for v, a in zip(value, args, strict=True))
        )
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


STALE_AFTER_DAYS = 30


def prune(cache_dir: Path, *, now: float | None = None) -> int:
    """Remove entries of other versions untouched for STALE_AFTER_DAYS; how many folders went.

    Another installed version may still use its folder, hence the age guard (a folder's
    mtime moves when entries are added to it); errors leave things as they are.
    """
    limit = (time.time() if now is None else now) - STALE_AFTER_DAYS * 86400
    removed = 0
    try:
        folders = [p for p in cache_dir.iterdir() if p.name.startswith("compataudit-")]
    except OSError:
        return 0
    for folder in folders:
        with contextlib.suppress(OSError):
            if folder.name != _TAG and folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder)
                removed += 1
    return removed


def store(cache_dir: Path, key: str, summary: FileSummary) -> bool:
    """Write one entry atomically; False (and nothing left behind) when that is not possible."""
    path = _entry(cache_dir, key)
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"tag": _TAG, "key": key, "summary": asdict(summary)}, fh, separators=(",", ":"))
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
        return False


def _pairs(items: Any) -> list[tuple[Any, Any]]:
    return [(a, b) for a, b in items]


def _class_from_json(raw: dict[str, Any]) -> ClassSummary:
    init = raw["init"]
    return ClassSummary(
        name=str(raw["name"]),
        line=int(raw["line"]),
        end=int(raw["end"]),
        bases=list(raw["bases"]),
        metaclass=raw["metaclass"],
        own=dict(raw["own"]),
        abstract=list(raw["abstract"]),
        dynamic=list(raw["dynamic"]),
        nested=dict(raw["nested"]),
        nonstatic=_pairs(raw["nonstatic"]),
        marks_nondiff=bool(raw["marks_nondiff"]),
        new_returns=list(raw["new_returns"]),
        add_weight=bool(raw["add_weight"]),
        init=None
        if init is None
        else InitFacts(
            line=int(init["line"]),
            params=list(init["params"]),
            annotations=dict(init["annotations"]),
            nonplain=list(init["nonplain"]),
            base_calls=_pairs(init["base_calls"]),
            functional=bool(init["functional"]),
            via_helper=bool(init["via_helper"]),
            assigns=[(a, b, c) for a, b, c in init["assigns"]],
            registers=list(init["registers"]),
        ),
        shapes={k: (list(v[0]), int(v[1]), str(v[2]), str(v[3])) for k, v in raw["shapes"].items()},
        convs=[(a, b, c) for a, b, c in raw["convs"]],
    )


def from_json(raw: dict[str, Any]) -> FileSummary:
    """A summary from its JSON form; KeyError/TypeError/ValueError when it is malformed."""
    error = raw["error"]
    return FileSummary(
        error=None if error is None else (int(error[0]), str(error[1])),
        aliases={str(k): str(v) for k, v in raw["aliases"].items()},
        classes=[_class_from_json(c) for c in raw["classes"]],
        called=list(raw["called"]),
        containers=[(str(a), list(b)) for a, b in raw["containers"]],
        uses=_pairs(raw["uses"]),
        made=list(raw["made"]),
        functional=list(raw["functional"]),
        legacy=_pairs(raw["legacy"]),
        apply_grad=list(raw["apply_grad"]),
        apply_nograd=list(raw["apply_nograd"]),
        nonplain_args=_pairs(raw["nonplain_args"]),
        keras=str(raw["keras"]),
    )
