"""Requirements files as pip reads them, through pip-requirements-parser.

Hashes and ``\\`` continuations (pip-compile output), a BOM and CRLF line ends,
``-r``/``-c`` nesting (relative to the including file, with cycle detection),
``-e`` and URL requirements, environment markers (kept on the pin and
evaluated later against the audited environment, not this one).

Exact versions (``==X`` / ``===X`` and wheel URLs) are pins; a named requirement
on a range (``torch>=2.4``) is a :class:`~compataudit.inputs.Want`, resolved later
as pip would. Lines without a name (editable checkouts, source URLs) are listed in
one note. A constraints file (``-c``) pins a name only where some requirement asks
for it, as pip does.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compataudit.distributions import canonical_name
from compataudit.errors import InputError
from compataudit.inputs import (
    Pin,
    StackFile,
    Want,
    index_variant,
    wants_with_variant,
    where,
    with_index_variant,
)

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass
class _Collected:
    pins: list[Pin]
    wants: list[Want]
    constraints: list[Pin]
    required: set[str]
    skipped: list[str]
    index_urls: list[str]
    primary_urls: list[str]


def read(path: str, text: str, kind: str) -> StackFile:
    """The exact pins of requirements file ``path`` and the files it includes."""
    found = _Collected([], [], [], set(), [], [], [])
    _read_file(path, (), found, is_constraint=False)
    pinned = {p.name for p in found.pins}
    pins = found.pins + [
        pin for pin in found.constraints if pin.name in found.required and pin.name not in pinned
    ]
    pins = with_index_variant(pins, index_variant(found.index_urls))
    only = index_variant(found.primary_urls) is not None
    wants = wants_with_variant(found.wants, index_variant(found.index_urls), index_only=only)
    notes: tuple[str, ...] = ()
    if found.skipped:
        shown = ", ".join(found.skipped[:6]) + (", …" if len(found.skipped) > 6 else "")
        notes = (f"{path}: {len(found.skipped)} requirement(s) without a name are not audited: {shown}",)
    return StackFile(path=path, kind=kind, pins=tuple(pins), wants=tuple(wants), notes=notes)


def _parse(path: str, included_from: str | None) -> Any:
    from pip_requirements_parser import InstallationError, RequirementsFile

    from compataudit.errors import CompatAuditError
    from compataudit.files import MAX_INPUT_BYTES, read_limited

    try:
        info = Path(path).stat()
    except OSError:
        info = None  # from_file says it cannot be read
    try:
        if info is not None and not stat.S_ISREG(info.st_mode):
            # A pipe (`-r <(cat requirements.txt)`, a FIFO) is read once and within a time
            # limit, a device (/dev/zero) refused: never handed to a parser that blocks on it.
            return _parse_bytes(read_limited(path, "-r"))
        if info is not None and info.st_size > MAX_INPUT_BYTES:
            raise InputError(f"{path}: {info.st_size} bytes, more than the {MAX_INPUT_BYTES} read")
        return RequirementsFile.from_file(path, include_nested=False)
    except CompatAuditError as exc:
        raise InputError(f"{included_from}: {exc}" if included_from else str(exc)) from None
    except InstallationError:
        raise InputError(f"{included_from or path}: cannot read requirements file {path}") from None
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"{path}: not a text file in a known encoding") from None


def _parse_bytes(data: bytes) -> Any:
    """Parse requirements held in memory (what a pipe delivered): the parser reads only
    files, so through a private temporary copy (its own ``from_string`` is broken)."""
    import tempfile

    from pip_requirements_parser import RequirementsFile

    with tempfile.TemporaryDirectory(prefix="compataudit-") as tmp:
        copy = Path(tmp) / "requirements.txt"
        copy.write_bytes(data)
        return RequirementsFile.from_file(str(copy), include_nested=False)


def _read_file(
    path: str,
    chain: tuple[str, ...],
    found: _Collected,
    *,
    is_constraint: bool,
    included_from: str | None = None,
) -> None:
    real = os.path.realpath(path)
    if real in chain:
        cycle = " → ".join(Path(p).name for p in (*chain[chain.index(real) :], real))
        raise InputError(f"{included_from}: requirements files include each other: {cycle}")
    parsed = _parse(path, included_from)
    for bad in parsed.invalid_lines:
        message = " ".join(str(bad.error_message).split("\n")[0].split())
        raise InputError(f"{where(path, bad.line_number)}: {message}: {bad.line.strip()!r}")
    for option in parsed.options:
        urls = [option.options.get("index_url"), *option.options.get("extra_index_urls", ())]
        found.index_urls.extend(u for u in urls if isinstance(u, str))
        primary = option.options.get("index_url")
        if isinstance(primary, str):
            found.primary_urls.append(primary)
        for key, is_nested_constraint in (("requirements", False), ("constraints", True)):
            for target in option.options.get(key, ()):
                at = where(path, option.line_number)
                if _URL.match(target):
                    raise InputError(f"{at}: {target} is remote; compataudit never uses the network")
                nested = str(Path(path).parent / Path(target).expanduser())
                _read_file(
                    nested,
                    (*chain, real),
                    found,
                    is_constraint=is_constraint or is_nested_constraint,
                    included_from=at,
                )
    for req in parsed.requirements:
        _collect(req, path, found, is_constraint)


def _collect(req: Any, path: str, found: _Collected, is_constraint: bool) -> None:
    at = where(path, req.line_number)
    name = canonical_name(req.name) if req.name else None
    version = _exact_version(req)
    marker = str(req.marker) if req.marker else None
    if name is None or version is None:
        if is_constraint:
            return
        label = (req.line or "").split(" --hash", 1)[0].strip()
        if name and not req.is_editable and not req.link:
            found.required.add(name)
            extras = tuple(sorted(req.extras or ()))
            found.wants.append(Want(name, str(req.specifier or ""), at, label, extras, marker))
        else:
            found.skipped.append(f"{label} ({at})")
            if name:
                found.required.add(name)
        return
    pin = Pin(name=name, version=version, where=at, marker=marker)
    if is_constraint:
        found.constraints.append(pin)
    else:
        found.pins.append(pin)
        found.required.add(name)


def _exact_version(req: Any) -> str | None:
    if req.is_editable:
        return None
    specs = list(req.specifier or ())
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return str(specs[0].version)
    link = getattr(req.link, "url", None) if req.link else None
    if link and link.split("#", 1)[0].endswith(".whl"):
        from urllib.parse import unquote

        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            return str(parse_wheel_filename(unquote(link.split("#", 1)[0].rsplit("/", 1)[-1]))[1])
        except InvalidWheelFilename:
            return None
    return None
