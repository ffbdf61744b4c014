"""The architecture ceiling of a CUDA toolkit (cuda.toml ``[[arch]]``), held to real wheels.

Every torch wheel read from PyPI (matrices/recorded/torch_wheels.json: the CUDA it was built
with and the ``get_arch_list()`` string baked into its libraries) must agree with the rule:
no wheel carries an architecture its toolkit could not target, and a cc 12.0 GPU is beyond
exactly the wheels made before CUDA 12.8.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compataudit.compat.arch_ceiling import beyond_ceiling, first_toolkit
from compataudit.compat.cuda import parse_cc
from compataudit.compat.matrices import load_matrices

RECORD = Path(__file__).resolve().parents[2] / "matrices" / "recorded" / "torch_wheels.json"
WHEELS = json.loads(RECORD.read_text(encoding="utf-8"))["wheels"]


@pytest.mark.parametrize(
    ("cc", "first"),
    [
        ("12.0", "12.8"),  # Blackwell: sm_100 / sm_120 arrived with CUDA 12.8
        ("10.0", "12.8"),
        ("12.1", "12.8"),  # not listed: the 12.0 row is a floor never later than the truth
        ("9.0", "11.8"),
        ("8.9", "11.8"),
        ("8.6", "11.0"),  # the 8.0 row (Ampere)
        ("7.5", "10.0"),
    ],
)
def test_first_toolkit_of_an_architecture(cc: str, first: str) -> None:
    row = first_toolkit(load_matrices(), cc)
    assert row is not None and row.first == first


def test_unknown_majors_and_junk_have_no_ceiling() -> None:
    m = load_matrices()
    assert first_toolkit(m, "42.0") is None
    assert first_toolkit(m, "junk") is None
    assert beyond_ceiling(m, None, "12.0") is None
    assert beyond_ceiling(m, "12.6", None) is None


@pytest.mark.parametrize(
    ("cuda", "cc", "beyond"),
    [
        ("12.6", "12.0", True),
        ("12.4", "10.0", True),
        ("11.8", "12.0", True),
        ("12.8", "12.0", False),
        ("12.9", "12.0", False),
        ("13.0", "12.0", False),
        ("11.7", "9.0", True),
        ("11.8", "9.0", False),
        ("12.6", "8.6", False),
    ],
)
def test_beyond_ceiling(cuda: str, cc: str, beyond: bool) -> None:
    assert (beyond_ceiling(load_matrices(), cuda, cc) is not None) is beyond


@pytest.mark.parametrize("wheel", WHEELS, ids=[w["local_version"] for w in WHEELS])
def test_no_recorded_wheel_contradicts_the_ceiling(wheel: dict[str, str]) -> None:
    m = load_matrices()
    archs = [a for a in wheel["arch_string"].split() if a.startswith("sm_")]
    assert archs, wheel["wheel"]
    for arch in archs:
        digits = arch[3:].rstrip("af")
        cc = f"{digits[:-1]}.{digits[-1]}"
        assert parse_cc(cc) is not None
        assert beyond_ceiling(m, wheel["cuda"], cc) is None, f"{wheel['wheel']} carries {arch}"
    carries_120 = any(a.startswith("sm_120") for a in archs)
    assert carries_120 is (beyond_ceiling(m, wheel["cuda"], "12.0") is None), wheel["local_version"]
