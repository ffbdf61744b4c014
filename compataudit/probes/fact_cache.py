"""The user-cache files of facts read from shared objects and metadata, keyed by file identity.

Safe by construction: one JSON file per set of site directories, written atomically
(temporary file, then rename) only when something changed; an unreadable or corrupt file
is a miss and a directory that cannot be written is skipped - the audit never fails
because of its cache.
"""

# Plain string paths on purpose: stat() of many files per audit (see extensions.py).
# ruff: noqa: PTH116

from __future__ import annotations

import contextlib
import json
import os
import sys
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CACHE_VERSION = 2


def digest(text: str) -> str:
    """A short key: CRC-32 and length (importing hashlib costs more than a warm probe)."""
    return f"{zlib.crc32(text.encode()):08x}{len(text):x}"


def default_cache_dir(kind: str = "elf") -> Path | None:
    """``$XDG_CACHE_HOME/compataudit/<kind>`` (``~/.cache`` when unset; LOCALAPPDATA on Windows).

    ``kind``: ``elf`` (facts of shared objects) or ``dists`` (what the package scan reads from
    each metadata directory).
    """
    base = os.environ.get("XDG_CACHE_HOME")
    if not base and sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
    try:
        root = Path(base) if base else Path.home() / ".cache"
    except RuntimeError:  # no home directory
        return None
    return root / "compataudit" / kind


class FactCache:
    """One JSON file per set of site directories: file key -> the facts read from it."""

    def __init__(self, directory: Path | None, scope: Iterable[str]) -> None:
        name = f"v{CACHE_VERSION}-{digest(chr(0).join(sorted(scope)))}.json"
        self.path = directory / name if directory else None
        self.old: dict[str, Any] = {}
        self.new: dict[str, Any] = {}
        if self.path is not None:
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(data, dict):
                    self.old = data

    def get(self, key: str) -> Any:
        value = self.old.get(key)
        if value is not None:
            self.new[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.new[key] = value

    def save(self) -> None:
        """Write atomically when anything changed; a cache that cannot be written is skipped."""
        if self.path is None or self.new == self.old:
            return
        import tempfile

        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.new, handle)
            os.replace(tmp, self.path)


def file_key(path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}"
