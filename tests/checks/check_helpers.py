"""Running one check module against an Environment, as the check tests do."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from compataudit.checks import CheckContext
from compataudit.compat.matrices import Matrices
from compataudit.model import Environment, Finding

MATRICES = Matrices(Path(__file__).resolve().parents[2] / "matrices")  # this checkout's tables


def findings_of(checks: ModuleType, env: Environment, matrices: Matrices = MATRICES) -> list[Finding]:
    """What the ``CHECKS`` of the check module ``checks`` find in ``env``, in their order."""
    ctx = CheckContext(env=env, matrices=matrices)
    return [f for check in checks.CHECKS for f in check(ctx)]
