"""Typed, validated access to matrix rows: a bad field names its file and row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from compataudit.compat.matrices import Matrices
from compataudit.errors import MatrixError
from compataudit.versions import parse_version


class RowReader:
    """Typed access to one ``[[table]]`` row; a bad field raises MatrixError naming file and row."""

    def __init__(self, path: Path, table: str, index: int, row: dict[str, Any]) -> None:
        self.where = f"{path}: [[{table}]] row {index}"
        self.row = row

    def fail(self, key: str, expected: str) -> MatrixError:
        found = self.row.get(key)
        return MatrixError(f"{self.where}: field {key!r} must be {expected}, found {found!r}")

    def text(
        self,
        key: str,
        pattern: re.Pattern[str] | None = None,
        *,
        required: bool = False,
        what: str = "a string",
    ) -> str | None:
        value = self.row.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
            raise self.fail(key, what)
        return value

    def required(self, key: str, pattern: re.Pattern[str] | None = None, what: str = "a string") -> str:
        value = self.text(key, pattern, required=True, what=what)
        assert value is not None  # text() raised otherwise
        return value

    def version(self, key: str, *, required: bool = False) -> str | None:
        value = self.text(key, required=required)
        if value is not None and parse_version(value) is None:
            raise self.fail(key, "a version")
        return value

    def spec(self, key: str, *, required: bool = False) -> str | None:
        value = self.text(key, required=required)
        if value is not None:
            try:
                SpecifierSet(value)
            except InvalidSpecifier:
                raise self.fail(key, "a version specifier") from None
        return value

    def texts(
        self, key: str, pattern: re.Pattern[str] | None = None, what: str = "a list of strings"
    ) -> tuple[str, ...]:
        value = self.row.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(v, str) and (pattern is None or pattern.match(v)) for v in value
        ):
            raise self.fail(key, what)
        return tuple(value)

    def pairs(self, key: str = "pairs") -> tuple[tuple[str, str], ...]:
        """A list of ``["X.Y.Z", "X.Y.Z"]`` version pairs."""
        value = self.row.get(key, [])
        ok = isinstance(value, list) and all(
            isinstance(p, list) and len(p) == 2 and all(parse_version(x) for x in p) for p in value
        )
        if not ok:
            raise self.fail(key, 'a list of ["X.Y.Z", "X.Y.Z"] version pairs')
        return tuple((p[0], p[1]) for p in value)

    def flag(self, key: str, default: bool | None = False) -> bool:
        """A boolean; ``default=None`` makes the field required."""
        value = self.row.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def number(self, key: str) -> int | None:
        value = self.row.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "an integer")
        return value

    def sources(self) -> tuple[str, ...]:
        if "sources" in self.row:
            return self.texts("sources")
        return (self.required("source"),)


def read_rows(matrices: Matrices, name: str, table: str) -> list[RowReader]:
    """Every row of ``[[table]]`` in ``<name>.toml``, wrapped for typed access."""
    path = matrices.directory / f"{name}.toml"
    return [RowReader(path, table, i, row) for i, row in enumerate(matrices.rows(name, table), 1)]
