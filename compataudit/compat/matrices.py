"""Loading the curated compatibility matrices (``matrices/*.toml``).

The data ships inside the wheel as ``compataudit/matrices``. Under an editable
install that packaged copy does not exist (hatchling's force-include only
applies to built wheels), so the loader falls back to the checkout's top-level
``matrices/`` directory. ``--matrices DIR`` replaces both.

Files are parsed lazily, on first use, and validated generically here (every
row cites a source); the typed views in :mod:`compataudit.compat` check the
fields they use and raise :class:`~compataudit.errors.MatrixError` naming the
file and row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from compataudit.compat.datafacts import HARVEST_DIR, HarvestSummary, digest, is_date, read_harvest
from compataudit.errors import MatrixError

SCHEMA_VERSION = 1
# Built wheels carry the TOML files pre-parsed into this file (see hatch_build.py):
# json.loads is ~20x faster than importing tomllib and parsing. Each entry is keyed by
# a digest (CRC-32 and length) of its TOML file, so an edited or swapped file is parsed
# afresh; CRC-32 because importing hashlib alone would cost more than it saves here.
COMPILED_NAME = "_compiled.json"
COMPILED_FORMAT = 4
_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # compataudit/, where the wheel puts matrices/


def default_directory() -> Path:
    """The packaged matrices, else the source checkout's (editable installs)."""
    packaged = _PACKAGE_DIR / "matrices"
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE_DIR.parent / "matrices"
    if checkout.is_dir():
        return checkout
    raise MatrixError(
        f"compatibility data not found (looked in {packaged} and {checkout}); "
        "reinstall compataudit or pass --matrices DIR"
    )


class Matrices:
    """All matrix files of one directory, parsed on first access."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, dict[str, Any]] = {}
        self._compiled: dict[str, Any] | None = None  # the whole _compiled.json document
        self.views: dict[str, Any] = {}  # typed views built by compataudit.compat, cached here

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.directory.glob("*.toml"))

    def get(self, name: str) -> dict[str, Any]:
        """The parsed, validated contents of ``<name>.toml``."""
        data = self._cache.get(name)
        if data is None:
            data = self._cache[name] = _load_file(self.directory / f"{name}.toml", self._precompiled)
        return data

    def _precompiled(self, filename: str, wanted: str) -> dict[str, Any] | None:
        """The pre-parsed data of ``filename`` if the compiled file has it for this content."""
        files = self._compiled_document().get("files")
        entry = files.get(filename) if isinstance(files, dict) else None
        if isinstance(entry, dict) and entry.get("digest") == wanted:
            data = entry.get("data")
            return data if isinstance(data, dict) else None
        return None

    def _compiled_document(self) -> dict[str, Any]:
        if self._compiled is None:
            self._compiled = _read_compiled(self.directory / COMPILED_NAME)
        return self._compiled

    def harvest_summary(self) -> HarvestSummary:
        """The date and newest releases of the harvest (``harvested/*.json``).

        Taken from ``_compiled.json`` while the harvest files are the ones it was built
        from (or absent, as in the wheel, which ships only the summary); read afresh when
        they changed.
        """
        paths = sorted((self.directory / HARVEST_DIR).glob("*.json"))
        compiled = HarvestSummary.from_json(self._compiled_document().get("harvest"))
        if not paths:
            return compiled or HarvestSummary(None, {}, {}, {})
        digests = {p.name: digest(p.read_bytes()) for p in paths}
        if compiled is not None and compiled.digests == digests:
            return compiled
        return read_harvest(self.directory)

    def rows(self, name: str, table: str) -> list[dict[str, Any]]:
        """The rows of the array of tables ``[[table]]`` in ``<name>.toml`` (may be empty)."""
        value = self.get(name).get(table, [])
        if not isinstance(value, list):
            raise MatrixError(f"{self.directory / name}.toml: [{table}] must be an array of tables")
        return value

    def load_all(self) -> None:
        """Parse and validate every file now (used by tests and `matrix show`)."""
        for name in self.names():
            self.get(name)


def load_matrices(directory: str | Path | None = None) -> Matrices:
    """The matrices from ``directory`` (``--matrices``) or the default location."""
    if directory is None:
        return Matrices(default_directory())
    path = Path(directory).expanduser()
    if not path.is_dir():
        raise MatrixError(f"--matrices {directory}: not a directory")
    if not any(path.glob("*.toml")):
        raise MatrixError(f"--matrices {directory}: no *.toml files in it")
    return Matrices(path)


def _read_compiled(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != COMPILED_FORMAT:
        return {}
    return data


def _load_file(path: Path, precompiled: Any = None) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise MatrixError(f"{path}: matrix file missing") from None
    except OSError as exc:
        raise MatrixError(f"{path}: cannot read: {exc.strerror or exc}") from None
    data = precompiled(path.name, digest(raw)) if precompiled else None
    if data is None:
        data = parse_toml(path, raw)
    validate(path, data)
    return data


def parse_toml(path: Path, raw: bytes) -> dict[str, Any]:
    """``raw`` parsed as TOML; MatrixError naming ``path`` when it is not valid TOML."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return dict(tomllib.loads(raw.decode("utf-8")))
    except UnicodeDecodeError:
        raise MatrixError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise MatrixError(f"{path}: invalid TOML: {exc}") from None


def compile_directory(directory: Path) -> str:
    """The JSON text of ``_compiled.json`` for every ``*.toml`` in ``directory`` (validated)."""
    files = {}
    for path in sorted(directory.glob("*.toml")):
        raw = path.read_bytes()
        data = parse_toml(path, raw)
        validate(path, data)
        files[path.name] = {"digest": digest(raw), "data": data}
    harvest = read_harvest(directory)
    document = {"format": COMPILED_FORMAT, "files": files, "harvest": harvest.to_json()}
    return json.dumps(document, separators=(",", ":"))


def validate(path: Path, data: dict[str, Any]) -> None:
    """Generic schema: a known ``schema_version`` and a source on every row."""
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise MatrixError(f"{path}: schema_version must be {SCHEMA_VERSION}, found {version!r}")
    curated = data.get("curated")
    if curated is not None and not is_date(curated):
        raise MatrixError(f"{path}: curated must be a date YYYY-MM-DD, found {curated!r}")
    for table, rows in data.items():
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            continue
        for index, row in enumerate(rows, start=1):
            where = f"{path}: [[{table}]] row {index}"
            sources = row.get("sources", [row["source"]] if "source" in row else None)
            if not isinstance(sources, list) or not sources:
                raise MatrixError(f"{where}: every row needs a 'source' (URL) or 'sources' list")
            for src in sources:
                if not isinstance(src, str) or not src.startswith(("https://", "http://")):
                    raise MatrixError(f"{where}: source {src!r} is not a URL")
