"""Read the recorded index harvest (``matrices/harvested/*.json``, written by tools/harvest.py).

The facts wheel metadata settles, as the cross-check test needs them: which CPython
versions a release ships Linux x86_64 wheels for, the Requires-Dist pins that apply on
Linux x86_64 for a given Python, the Requires-Python. Offline: only the recorded files.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from compataudit.versions import in_range

HARVEST_DIR = Path(__file__).resolve().parents[1] / "matrices" / "harvested"
PYTHON_MINORS = tuple(f"3.{m}" for m in range(6, 17))  # the Python versions compared
PYPI_FILES = "https://pypi.org/project/{name}/{version}/#files"


def allows_minor(spec: str | None, minor: str) -> bool:
    """Does ``spec`` admit some patch release of Python ``minor`` ("3.12")?"""
    if not spec:
        return True
    return any(in_range(f"{minor}.{patch}", spec) for patch in (0, 2, 99))


@dataclass(frozen=True)
class Release:
    package: str
    version: Version
    record: dict[str, Any] = field(compare=False, repr=False)

    @property
    def meta(self) -> dict[str, Any]:
        value = self.record.get("metadata") or {}
        return value if isinstance(value, dict) else {}

    @property
    def metadata_file(self) -> str:
        return str(self.meta.get("file") or PYPI_FILES.format(name=self.package, version=self.version))

    @property
    def requires_python(self) -> str | None:
        value = self.meta.get("requires_python") or self.record.get("requires_python")
        return str(value) if value else None

    def linux_pythons(self) -> tuple[set[str], bool]:
        """(Python minors with a Linux x86_64 wheel, open-ended?) - open when a pure or
        abi3 wheel serves every Python its Requires-Python admits."""
        shipped: set[str] = set()
        open_ended = False
        for file, _sha, _date in self.record["wheels"]:
            for tag in parse_wheel_filename(file)[3]:
                if tag.platform != "any" and not ("linux" in tag.platform and "x86_64" in tag.platform):
                    continue
                if tag.abi.endswith("t"):
                    continue  # free-threaded: a second wheel of a Python already counted
                if tag.abi in ("none", "abi3") or not tag.interpreter.startswith("cp"):
                    open_ended = True
                    floor = tag.interpreter[2:] if tag.abi == "abi3" else ""
                    shipped |= {
                        m
                        for m in PYTHON_MINORS
                        if allows_minor(self.requires_python, m)
                        and (not floor or Version(m) >= Version(f"{floor[0]}.{floor[1:]}"))
                    }
                else:
                    digits = tag.interpreter[2:]
                    shipped.add(f"{digits[0]}.{digits[1:]}")
        return shipped, open_ended

    def requirements(self, python: str | None = None, extra: str = "") -> Iterator[Requirement]:
        """Requires-Dist lines that apply on Linux x86_64 with ``python`` (default: the
        Python of the wheel whose metadata was read) and ``extra``."""
        if python is None:
            python = self._metadata_python()
        env = {
            "python_version": python,
            "python_full_version": python + ".0",
            "platform_system": "Linux",
            "platform_machine": "x86_64",
            "sys_platform": "linux",
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "extra": extra,
        }
        for line in self.meta.get("requires_dist", []):
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate(env):
                if extra and (req.marker is None or "extra" not in str(req.marker)):
                    continue  # only the extra's own lines
                yield req

    def pin(self, name: str, python: str | None = None, extra: str = "") -> SpecifierSet | None:
        found = [r.specifier for r in self.requirements(python, extra) if _canon(r.name) == _canon(name)]
        if not found:
            return None
        combined = SpecifierSet()
        for spec in found:
            combined &= spec
        return combined

    def _metadata_python(self) -> str:
        file = self.meta.get("file")
        if file:
            for tag in parse_wheel_filename(file)[3]:
                if tag.interpreter.startswith("cp") and tag.interpreter[2:].isdigit():
                    return f"{tag.interpreter[2]}.{tag.interpreter[3:]}"
        return next((m for m in PYTHON_MINORS if allows_minor(self.requires_python, m)), "3.12")


@dataclass
class Ledger:
    """Counts compared facts and collects the disagreements (file, row, ours, the wheel's)."""

    facts: int = 0
    disagreements: list[str] = field(default_factory=list)
    rows: set[str] = field(default_factory=set)  # the TOML rows with a fact compared
    document_sourced: int = 0  # fields a row declares as taken from documents

    def _count(self, where: str) -> None:
        self.facts += 1
        if "]] " in where and where.startswith("matrices/"):
            self.rows.add(where)

    def compare(self, where: str, what: str, ours: Any, wheels: Any, evidence: str) -> None:
        self._count(where)
        if ours != wheels:
            self.disagreements.append(f"{where}: {what}: ours {ours!r}, the wheels' {wheels!r} ({evidence})")

    def require(self, where: str, what: str, ok: bool, evidence: str) -> None:
        self._count(where)
        if not ok:
            self.disagreements.append(f"{where}: {what} ({evidence})")


def exact(spec: SpecifierSet | None) -> str | None:
    """The version of a lone ``==X`` specifier, else None."""
    items = list(spec or ())
    if len(items) == 1 and items[0].operator == "==" and "*" not in items[0].version:
        return items[0].version
    return None


def floor(spec: SpecifierSet | None) -> str | None:
    """The version of the ``>=`` (or ``==``) clause of ``spec``."""
    for item in spec or ():
        if item.operator in (">=", "==", "~="):
            return item.version
    return None


def _canon(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


@cache
def _family(family: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HARVEST_DIR / f"{family}.json").read_text(encoding="utf-8"))
    return data


def harvest_date(family: str) -> str:
    return str(_family(family)["harvested"])


def releases(family: str, package: str) -> dict[Version, Release]:
    """Every harvested final release of ``package`` (a member of ``family``), oldest first."""
    recorded = _family(family)["packages"][package]["releases"]
    found = {Version(v): Release(package, Version(v), rec) for v, rec in recorded.items()}
    return dict(sorted(found.items()))


def since(family: str, package: str) -> Version:
    return Version(_family(family)["packages"][package]["since"])


def of_minor(found: dict[Version, Release], minor: str) -> list[Release]:
    major, _, rest = minor.partition(".")
    return [r for v, r in found.items() if (v.major, v.minor) == (int(major), int(rest))]
