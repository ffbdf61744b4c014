"""The runtime dependencies pyproject.toml declares are the ones the package imports.

A dependency declared and never imported is installed on every user's machine for
nothing (``importlib-metadata`` was, until issue 24); and installed distributions are
read one way only, by the probe's scanner, never through ``importlib.metadata``.
"""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

from nox.project import load_toml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "compataudit"


def _imported_modules() -> dict[str, set[str]]:
    """Every absolute import of the package: dotted module name -> the files importing it."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def _declared() -> list[Requirement]:
    """``[project].dependencies`` that apply to this interpreter (markers evaluated)."""
    requirements = [
        Requirement(text) for text in load_toml(str(ROOT / "pyproject.toml"))["project"]["dependencies"]
    ]
    return [r for r in requirements if r.marker is None or r.marker.evaluate()]


def test_every_declared_dependency_is_imported() -> None:
    providers = importlib.metadata.packages_distributions()  # import name -> distributions
    imported = {
        canonicalize_name(dist)
        for name in _imported_modules()
        for dist in providers.get(name.split(".")[0], [])
    }
    declared = {canonicalize_name(r.name) for r in _declared()}
    assert declared, "no dependencies read from pyproject.toml"
    assert declared <= imported, (
        f"declared but not imported (or not installed): {sorted(declared - imported)}"
    )


def test_no_module_reads_distributions_through_importlib_metadata() -> None:
    imports = _imported_modules()
    used = {
        name: sorted(files)
        for name, files in imports.items()
        if name.split(".")[0] == "importlib_metadata" or name.startswith("importlib.metadata")
    }
    assert not used, f"read installed distributions with compataudit.probes.packages instead: {used}"
    assert "packaging.version" in imports  # the walk did see the package's imports
