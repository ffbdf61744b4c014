"""Installed distributions, read from their metadata files without importing them.

A direct scan of ``*.dist-info`` / ``*.egg-info`` directories on ``sys.path``
reading only the METADATA header block is ~7x cheaper per distribution than
``importlib.metadata`` (which runs every file through the email parser); on a
typical 70-distribution ML venv it costs about 10 ms.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from packaging.version import Version

from compataudit.distributions import IMPORT_DIRS, canonical_name
from compataudit.files import read_regular
from compataudit.model import Package
from compataudit.versions import parse_version

# Framework distributions whose import directory must exist next to their
# metadata; a dist-info without it is a half-removed install.


def scan_distributions(paths: Sequence[str], names: Collection[str] | None = None) -> list[Package]:
    """Every distribution found on ``paths``; the first one of a name wins, as for imports.

    ``names`` (canonical names): only those, for a caller that needs a few (``lint``'s
    Keras generation) - a metadata directory whose own name is another is not opened.
    """
    seen: dict[str, Package] = {}
    for entry in paths:
        for package in _scan_dir(entry or ".", names):
            if names is None or package.name in names:
                seen.setdefault(package.name, package)
    return sorted(seen.values(), key=lambda p: p.name)


def _scan_dir(directory: str, names: Collection[str] | None = None) -> Iterable[Package]:
    """The distributions in one directory; two metadata dirs of one name become one, marked."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    found: dict[str, list[tuple[Package, str]]] = {}
    for entry in entries:
        name = entry.name
        if names is not None and not name.endswith(".egg-info") and _name_from_dirname(name) not in names:
            continue  # a dist-info directory is named after its distribution (egg-info: not always)
        if name.endswith(".dist-info"):
            package = _read_dist_info(Path(entry.path), directory)
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


def _read_dist_info(path: Path, location: str) -> Package:
    fallback = _name_from_dirname(path.name)
    try:
        headers = read_headers(path / "METADATA", only_package=True)
    except OSError as exc:
        return Package(fallback, "", location, problem=f"cannot read METADATA: {exc.strerror or exc}")
    return _package_from_headers(headers, fallback, location, _modules_of(path), path)


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
        and not (meta_dir is not None and _is_editable(meta_dir))  # its code lives elsewhere
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
