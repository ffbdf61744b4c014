"""The fake framework packages (tests/fixtures/fake_frameworks) the smoke runner is tested with."""

from __future__ import annotations

from pathlib import Path

from tests.envs import environment

FAKES = Path(__file__).resolve().parents[1] / "fixtures" / "fake_frameworks"
TORCH_ENV = environment(("torch", "2.13.0"))  # what a fake torch smoke run audits


def fake_path(scenario: str) -> dict[str, str]:
    """extra_env that puts the fake framework package ``scenario`` first on the path."""
    return {"PYTHONPATH": str(FAKES / scenario)}
