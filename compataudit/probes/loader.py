"""Where the dynamic loader would find a ``DT_NEEDED`` library, without loading anything.

glibc's order (ld.so(8)): a name with a slash is a path; else the requesting
object's ``DT_RPATH`` (only when it has no ``DT_RUNPATH``), ``LD_LIBRARY_PATH``,
its ``DT_RUNPATH``, the ``/etc/ld.so.cache`` entries, then the default
directories. A library already loaded into the process under that soname (the
framework's own libraries, once ``import torch`` ran) satisfies the request
before any search.
"""

# Plain string paths on purpose: these loops stat hundreds of files per audit and pathlib
# objects cost more than the stat (measured: 0.2 s of 0.3 s before this choice).
# ruff: noqa: PTH113, PTH118, PTH120

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LD_SO_CACHE = "/etc/ld.so.cache"
_NEW_MAGIC = b"glibc-ld.so.cache1.1"
DEFAULT_DIRS = (
    "/lib",
    "/usr/lib",
    "/lib64",
    "/usr/lib64",
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
)


def read_ld_cache(path: str = LD_SO_CACHE) -> dict[str, tuple[str, ...]]:
    """soname -> the paths ``/etc/ld.so.cache`` maps it to (an empty dict when unreadable)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return {}
    start = data.find(_NEW_MAGIC)
    if start < 0:
        return {}
    found: dict[str, list[str]] = {}
    try:
        (nlibs,) = struct.unpack_from("<I", data, start + len(_NEW_MAGIC))
        base = start + 48  # magic + nlibs, len_strings, flags, extension offset, 3 unused words
        for i in range(nlibs):
            _flags, key, value, _os, _hwcap = struct.unpack_from("<iIIIQ", data, base + i * 24)
            name = _cstring(data, start + key)
            found.setdefault(name, []).append(_cstring(data, start + value))
    except (struct.error, IndexError, UnicodeDecodeError):
        return {}
    return {name: tuple(paths) for name, paths in found.items()}


def _cstring(data: bytes, offset: int) -> str:
    end = data.index(b"\0", offset)
    return data[offset:end].decode("utf-8")


def expand_origin(entry: str, origin: str) -> str:
    """``$ORIGIN/../lib`` with ``$ORIGIN`` (or ``${ORIGIN}``) read as the object's directory."""
    return entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)


@dataclass(frozen=True)
class Loader:
    """The facts the search depends on: the variable, the cache, what is loaded already."""

    ld_library_path: tuple[str, ...] = ()
    cache: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_dirs: tuple[str, ...] = DEFAULT_DIRS
    loaded: Mapping[str, str] = field(default_factory=dict)  # soname -> the file providing it
    extra_dirs: tuple[str, ...] = ()  # the interpreter's own RPATH/RUNPATH (conda's $ORIGIN/../lib)

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str],
        loaded: Mapping[str, str],
        extra_dirs: Iterable[str] = (),
        cache_path: str = LD_SO_CACHE,
    ) -> Loader:
        entries = tuple(e for e in environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if e)
        return cls(entries, read_ld_cache(cache_path), DEFAULT_DIRS, dict(loaded), tuple(extra_dirs))

    def resolve(
        self, soname: str, requester: str, rpath: Sequence[str], runpath: Sequence[str]
    ) -> str | None:
        """The file ``requester`` would get for ``soname``, or None when the load would fail."""
        if soname in self.loaded:
            return self.loaded[soname]
        origin = os.path.dirname(requester)
        if "/" in soname:
            path = expand_origin(soname, origin)
            return path if os.path.isfile(path) else None
        dirs: list[str] = []
        if not runpath:
            dirs.extend(expand_origin(e, origin) for e in rpath)
        dirs.extend(self.ld_library_path)
        dirs.extend(expand_origin(e, origin) for e in runpath)
        for directory in dirs:
            candidate = os.path.join(directory, soname)
            if os.path.isfile(candidate):
                return candidate
        for candidate in self.cache.get(soname, ()):
            if os.path.isfile(candidate):
                return candidate
        for directory in (*self.default_dirs, *self.extra_dirs):
            candidate = os.path.join(directory, soname)
            if os.path.isfile(candidate):
                return candidate
        return None
