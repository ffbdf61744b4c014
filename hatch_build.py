"""Wheel build hook: ship the matrices pre-parsed as ``compataudit/matrices/_compiled.json``.

The TOML files stay the source of truth (and ship too); the compiled copy only saves
the start-up cost of importing tomllib and parsing them. The copy is written next to
the TOML files (ignored by git): the wheel's force-include of ``matrices/`` ships it, and
editable installs read it from the checkout. Each entry carries its TOML file's digest:
after an edit the loader parses the TOML again, so a stale copy is slow, never wrong.
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
            from compataudit.matrices import COMPILED_NAME, compile_directory
        finally:
            sys.path.pop(0)
        # Written next to the TOML files: the wheel's force-include of matrices/ ships it,
        # and an editable install reads it from there.
        target = root / "matrices" / COMPILED_NAME
        target.write_text(compile_directory(root / "matrices"), encoding="utf-8")
