"""Checks: pure functions from an Environment (plus the matrices) to findings.

Each module in this package defines ``CHECKS``, a tuple of functions
``(CheckContext) -> Iterable[Finding]``. The area a finding is filed under (a
JUnit test case per area, ...) is its rule's, from the one table in
:mod:`compataudit.rules`, never the module's. A check that lacks a fact it
needs stays silent or says so with an ``info`` finding; it never guesses.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from compataudit.compat.matrices import Matrices
from compataudit.model import Environment, Finding


@dataclass(frozen=True)
class CheckContext:
    env: Environment
    matrices: Matrices
    options: dict[str, Any] = field(default_factory=dict)  # e.g. "require": policy pins


CheckFn = Callable[[CheckContext], Iterable[Finding]]


@dataclass(frozen=True)
class CheckArea:
    name: str
    checks: tuple[CheckFn, ...]


def areas() -> list[CheckArea]:
    """Every check module in this package, in a stable order."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(CheckArea(info.name, tuple(module.CHECKS)))
    return found


def run_checks(ctx: CheckContext) -> list[Finding]:
    """All findings for ``ctx``, de-duplicated, most severe first."""
    results: dict[tuple[str, str, tuple[str, ...]], Finding] = {}
    for area in areas():
        for check in area.checks:
            for f in check(ctx):
                results.setdefault((f.code, f.title, f.components), f)
    return sorted(results.values(), key=lambda f: (-f.severity.rank, f.code, f.title))
