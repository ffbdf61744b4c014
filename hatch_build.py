"""Wheel build hook: ship the matrices pre-parsed as ``compataudit/matrices/_compiled.json``.

The TOML files stay the source of truth (and ship too); the compiled copy only saves
the start-up cost of importing tomllib and parsing them. Editable installs skip it and
read the TOML files of the checkout.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileMatrices(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        sys.path.insert(0, str(root))
        try:
            from compataudit.matrices import compile_directory
        finally:
            sys.path.pop(0)
        out = Path(tempfile.mkdtemp()) / "_compiled.json"
        out.write_text(compile_directory(root / "matrices"), encoding="utf-8")
        build_data["force_include"][str(out)] = "compataudit/matrices/_compiled.json"
