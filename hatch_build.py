"""Wheel build hook: ship the matrices pre-parsed as ``compataudit/matrices/_compiled.json``.

The TOML files stay the source of truth (and ship too); the compiled copy only saves
the start-up cost of importing tomllib and parsing them. The copy is written next to
the TOML files (ignored by git): the hook force-includes every file directly in
``matrices/`` into the wheel, and editable installs read it from the checkout. Each entry
carries its TOML file's digest: after an edit the loader parses the TOML again, so a
stale copy is slow, never wrong.

``matrices/harvested/`` (the index metadata tools/harvest.py records, ~2 MB) and
``matrices/recorded/`` stay out of the wheel: only the test suite reads them (they are in
the sdist), never the CLI.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileMatrices(BuildHookInterface):  # type: ignore[misc, type-arg, unused-ignore]  # hatchling may be absent
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        sys.path.insert(0, str(root))
        try:
            from compataudit.compat.matrices import COMPILED_NAME, compile_directory
            from compataudit.compat.releases import RELEASES_NAME, releases_json
        finally:
            sys.path.pop(0)
        # Written next to the TOML files: shipped with them, and an editable install reads
        # it from there.
        matrices = root / "matrices"
        (matrices / COMPILED_NAME).write_text(compile_directory(matrices), encoding="utf-8")
        # The offline resolver's part of the harvest (read only by `check -r` with ranges).
        (matrices / RELEASES_NAME).write_text(releases_json(matrices), encoding="utf-8")
        if version == "editable":
            return
        force = build_data.setdefault("force_include", {})
        for path in sorted(matrices.iterdir()):
            if path.is_file():  # not harvested/ or recorded/: test material, never read at run time
                force[str(path)] = f"compataudit/matrices/{path.name}"
