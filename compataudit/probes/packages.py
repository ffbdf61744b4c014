"""Installed distributions, read from their metadata files without importing them.

A direct scan of ``*.dist-info`` / ``*.egg-info`` directories on ``sys.path``
reading only the METADATA header block is ~7x cheaper per distribution than
``importlib.metadata`` (which runs every file through the email parser); on a
typical 70-distribution ML venv it costs about 10 ms.

What a ``*.dist-info`` directory yields (its headers, import names, editable flag) is cached
in ``$XDG_CACHE_HOME/compataudit/dists`` (:mod:`compataudit.probes.fact_cache`), keyed by the
identity of the files it is read from, so a warm run stats them instead of reading them.
What depends on files outside the directory (a missing import package) is checked every run.
"""

# Plain string paths for the per-directory stats (as in fact_cache.py).
# ruff: noqa: PTH100, PTH116, PTH117

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from packaging.version import Version

from compataudit.distributions import IMPORT_DIRS, canonical_name
from compataudit.files import read_regular
from compataudit.model import Package
from compataudit.probes.fact_cache import FactCache, default_cache_dir
from compataudit.versions import parse_version

# Framework distributions whose import directory must exist next to their
# metadata; a dist-info without it is a half-removed install.


def scan_distributions(
    paths: Sequence[str],
    names: Collection[str] | None = None,
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> list[Package]:
    """Every distribution found on ``paths``; the first one of a name wins, as for imports.

    ``names`` (canonical names): only those, for a caller that needs a few (``lint``'s
    Keras generation) - a metadata directory whose own name is another is not opened, and
    the cache is read but not rewritten (it would keep only those). ``cache_dir`` None with
    ``use_cache`` means the user's cache directory.
    """
    where = (cache_dir or default_cache_dir("dists")) if use_cache else None
    cache = FactCache(where, paths) if where is not None else None
    seen: dict[str, Package] = {}
    for entry in paths:
        for package in _scan_dir(entry or ".", names, cache):
            if names is None or package.name in names:
                seen.setdefault(package.name, package)
    if cache is not None and names is None:
        cache.save()
    return sorted(seen.values(), key=lambda p: p.name)


def _scan_dir(
    directory: str, names: Collection[str] | None = None, cache: FactCache | None = None
) -> Iterable[Package]:
    """The distributions in one directory; two metadata dirs of one name become one, marked."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    found: dict[str, list[tuple[Package, str]]] = {}
    for entry in entries:
        name = entry.name
        if name.endswith(".dist-info"):
            if names is not None and _name_from_dirname(name) not in names:
                continue  # a dist-info directory is named after its distribution (egg-info: not always)
            package = _read_dist_info(Path(entry.path), directory, cache)
        elif name.endswith(".egg-info"):
            package = _read_egg_info(Path(entry.path), directory)
        else:
            continue
        found.setdefault(package.name, []).append((package, name))
    for copies in found.values():
        if len(copies) == 1:
            yield copies[0][0]
            continue
        # The classic half-uninstalled state (torch 2.5.1 beside torch 2.4.0): keep the
        # newest as the one in use and name the others, so that PKG006 can say so.
        # The same version recorded twice is one install: Debian 12's python3-cryptography
        # ships cryptography-38.0.4.dist-info and cryptography.egg-info (38.0.4) in one package.
        copies.sort(key=lambda c: parse_version(c[0].version) or Version("0"), reverse=True)
        kept = copies[0][0]
        stale = tuple(dirname for package, dirname in copies[1:] if package.version != kept.version)
        yield replace(kept, duplicates=stale)


def _name_from_dirname(dirname: str) -> str:
    stem = dirname.rsplit(".", 1)[0]
    return canonical_name(stem.split("-")[0])


def _read_dist_info(path: Path, location: str, cache: FactCache | None = None) -> Package:
    fallback = _name_from_dirname(path.name)
    key, has_direct_url = _dist_key(str(path)) if cache is not None else (None, False)
    hit = _cached(cache.get(key)) if cache is not None and key is not None else None
    if hit is not None:
        headers, modules, editable = hit
        return _package_from_headers(headers, fallback, location, modules, path, editable)
    try:
        headers = read_headers(path / "METADATA", only_package=True)
    except OSError as exc:
        return Package(fallback, "", location, problem=f"cannot read METADATA: {exc.strerror or exc}")
    modules = _modules_of(path)
    if cache is None or key is None:
        return _package_from_headers(headers, fallback, location, modules, path)
    editable = has_direct_url and _is_editable(path)
    cache.put(key, {"h": headers, "m": list(modules), "e": editable})
    return _package_from_headers(headers, fallback, location, modules, path, editable)


# The files of a dist-info directory that its cached facts are read from, besides METADATA.
_KEY_FILES = ("RECORD", "top_level.txt", "direct_url.json")


def _dist_key(dist_info: str) -> tuple[str | None, bool]:
    """METADATA's path, size, mtime and inode, with the other files' size and mtime or absent.

    A reinstall of another version is another directory (another key); one rewritten in
    place changes a size or an mtime. Second value: whether direct_url.json exists.
    """
    try:
        st = os.stat(dist_info + "/METADATA")
    except OSError:
        return None, False  # read (and reported) fresh
    where = dist_info if os.path.isabs(dist_info) else os.path.abspath(dist_info)  # "" on sys.path
    parts = [where, str(st.st_size), str(st.st_mtime_ns), str(st.st_ino)]
    for name in _KEY_FILES:
        try:
            other = os.stat(f"{dist_info}/{name}")
        except OSError:
            parts.append("absent")
        else:
            parts.append(f"{other.st_size}:{other.st_mtime_ns}")
    return "\0".join(parts), parts[-1] != "absent"


def _cached(value: Any) -> tuple[dict[str, list[str]], tuple[str, ...], bool] | None:
    """A cache entry in the shape :func:`_read_dist_info` wrote it, or None (a miss)."""
    if not isinstance(value, dict):
        return None
    headers, modules, editable = value.get("h"), value.get("m"), value.get("e")
    if not (
        isinstance(headers, dict)
        and all(
            key in PACKAGE_HEADERS and isinstance(items, list) and all(isinstance(i, str) for i in items)
            for key, items in headers.items()
        )
        and isinstance(modules, list)
        and all(isinstance(m, str) for m in modules)
        and isinstance(editable, bool)
    ):
        return None
    return headers, tuple(modules), editable


def _read_egg_info(path: Path, location: str) -> Package:
    fallback = _name_from_dirname(path.name)
    pkg_info = path / "PKG-INFO" if path.is_dir() else path
    try:
        headers = read_headers(pkg_info, only_package=True)
    except OSError as exc:
        return Package(fallback, "", location, problem=f"cannot read PKG-INFO: {exc.strerror or exc}")
    if path.is_dir():
        headers.setdefault("requires-dist", []).extend(_egg_requires(path / "requires.txt"))
    modules: tuple[str, ...] = ()
    if path.is_dir():
        modules = _read_lines(path / "top_level.txt")
    return _package_from_headers(headers, fallback, location, modules)


def _package_from_headers(
    headers: dict[str, list[str]],
    fallback: str,
    location: str,
    modules: tuple[str, ...],
    meta_dir: Path | None = None,
    editable: bool | None = None,
) -> Package:
    name = canonical_name(headers.get("name", [fallback])[0] or fallback)
    version = headers.get("version", [""])[0]
    problem = None
    if not headers:
        problem = "metadata file is empty"
    elif not version:
        problem = "metadata has no Version"
    module = IMPORT_DIRS.get(name)
    if (
        problem is None
        and module is not None
        and not _module_exists(location, module)
        # An editable install's code lives elsewhere.
        and not (editable if editable is not None else meta_dir is not None and _is_editable(meta_dir))
    ):
        problem = f"files are missing: no {module!r} package in {location}"
    return Package(
        name=name,
        version=version,
        location=location,
        requires=tuple(headers.get("requires-dist", ())),
        requires_python=next(iter(headers.get("requires-python", ())), None),
        modules=modules,
        problem=problem,
    )


def _is_editable(dist_info: Path) -> bool:
    """``pip install -e``: PEP 610's direct_url.json says ``"editable": true``."""
    import json

    try:
        data = json.loads(read_regular(dist_info / "direct_url.json").decode("utf-8"))
    except (OSError, ValueError):
        return False
    dir_info = data.get("dir_info") if isinstance(data, dict) else None
    return isinstance(dir_info, dict) and dir_info.get("editable") is True


def _module_exists(location: str, module: str) -> bool:
    base = Path(location) / module
    return base.is_dir() or base.with_suffix(".py").is_file()


# The header block of any real METADATA fits in this; the description after it is not read.
_HEADER_BYTES = 1024 * 1024
# The headers a Package is made of; the scan reads no others.
PACKAGE_HEADERS = ("name", "version", "requires-dist", "requires-python")
# One of PACKAGE_HEADERS with its folded continuation lines, if any (a leading space or tab).
_PACKAGE_HEADER_RE = re.compile(
    r"^(name|version|requires-dist|requires-python)[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)",
    re.MULTILINE | re.IGNORECASE,
)


def read_headers(path: Path, *, only_package: bool = False) -> dict[str, list[str]]:
    """The RFC 822 header block of a METADATA/PKG-INFO file, keys lower-cased.

    Stops at the first blank line: the (often huge) description is never split.
    ``only_package``: just :data:`PACKAGE_HEADERS`, found by one regex over the block
    instead of a Python loop over its lines (torch's block has ~60 lines, the scan reads
    ~100 blocks on every run); the same values as the full reading, which a test holds.
    """
    data = read_regular(path, _HEADER_BYTES, head=True)
    if data.startswith((b"\n", b"\r\n")):
        return {}
    ends = [i for i in (data.find(b"\n\n"), data.find(b"\n\r\n")) if i >= 0]
    text = (data[: min(ends) + 1] if ends else data).decode("utf-8", errors="replace")
    headers: dict[str, list[str]] = {}
    if only_package:
        for key, value in _PACKAGE_HEADER_RE.findall(text):
            if "\n" in value:
                value = " ".join(part.strip() for part in value.split("\n"))
            headers.setdefault(key.lower(), []).append(value.strip())
        return headers
    last_key = None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last_key is not None:
            headers[last_key][-1] += " " + line.strip()  # folded continuation line
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last_key = key.strip().lower()
        headers.setdefault(last_key, []).append(value.strip())
    return headers


def _modules_of(dist_info: Path) -> tuple[str, ...]:
    top_level = _read_lines(dist_info / "top_level.txt")
    if top_level:
        return top_level
    return _modules_from_record(dist_info / "RECORD")


def _read_lines(path: Path) -> tuple[str, ...]:
    try:
        text = read_regular(path).decode("utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(line.strip() for line in text.splitlines() if line.strip())


# One match per top-level name and run of lines: a directory's whole run of RECORD lines
# (``numpy/...``, 1,500 of them) is consumed by one match through the back-reference, and a
# top-level module file (``six.py``, ``_cffi_backend.cpython-311-x86_64-linux-gnu.so``) is
# one match. The look-ahead + back-reference makes the name atomic (no backtracking into
# it on the far more common directory lines). Two regexes tried at every line cost ~6x more:
# the biggest single cost of the probe in a torch + TensorFlow + JAX venv.
_RECORD_NAME_RE = re.compile(
    rb"^(?=([A-Za-z_][A-Za-z0-9_]*))\1"
    rb"(?:/[^\n]*(?:\n\1/[^\n]*)*|\.(?:py|so|pyd|[^,/\n]*\.(?:so|pyd)),)",
    re.MULTILINE,
)


def _modules_from_record(record: Path) -> tuple[str, ...]:
    """Top-level import names from a wheel's RECORD (for wheels without top_level.txt).

    A regex over the raw bytes: RECORDs of big wheels have tens of thousands of lines.
    """
    try:
        data = read_regular(record)
    except OSError:
        return ()
    found = dict.fromkeys(_RECORD_NAME_RE.findall(data))
    return tuple(name.decode("ascii") for name in found if not name.endswith(b"__pycache__"))


def _egg_requires(path: Path) -> list[str]:
    """requires.txt sections (``[extra]``, ``[:marker]``) as Requires-Dist strings."""
    out: list[str] = []
    marker = ""
    for line in _read_lines(path):
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            extra, _, cond = section.partition(":")
            parts = []
            if extra:
                parts.append(f'extra == "{extra}"')
            if cond:
                parts.append(f"({cond})")
            marker = " and ".join(parts)
            continue
        out.append(f"{line}; {marker}" if marker else line)
    return out
