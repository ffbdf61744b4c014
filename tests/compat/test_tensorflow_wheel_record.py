"""tensorflow.toml held to what the TensorFlow wheels themselves ship.

``matrices/recorded/tensorflow_wheels.json`` (tools/wheel_fatbin.py) holds, per wheel, its
``build_info.py`` and the SASS / PTX images of its fat binaries. TensorFlow 2.20 and 2.21
(CUDA 12.5.1) ship SASS sm_60 - sm_90 and PTX for compute_90 only, so a compute-capability
12.0 GPU has no machine code and only compute_90 PTX (2.20's mostly for sm_90a, which no
other GPU can JIT): the verdict there is ARC001 (tests/whatif/test_arch_ceiling_cases.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compataudit.compat.arch_ceiling import beyond_ceiling, tf_ptx_fails
from compataudit.compat.matrices import load_matrices
from compataudit.compat.tensorflow import tensorflow_matrix

MATRICES = Path(__file__).resolve().parents[2] / "matrices"
RECORD = json.loads((MATRICES / "recorded" / "tensorflow_wheels.json").read_text(encoding="utf-8"))
HARVEST = json.loads((MATRICES / "harvested" / "tensorflow.json").read_text(encoding="utf-8"))


def _version(wheel: dict[str, Any]) -> str:
    return str(wheel["wheel"].split("-")[1])


@pytest.mark.parametrize("wheel", RECORD["wheels"], ids=_version)
def test_the_recorded_wheel_is_the_one_the_index_lists(wheel: dict[str, Any]) -> None:
    files = HARVEST["packages"]["tensorflow"]["releases"][_version(wheel)]["wheels"]
    assert [wheel["wheel"], wheel["sha256"]] in [entry[:2] for entry in files]


@pytest.mark.parametrize("wheel", RECORD["wheels"], ids=_version)
def test_the_row_agrees_with_the_wheel(wheel: dict[str, Any]) -> None:
    m = load_matrices()
    row = tensorflow_matrix(m).release_for(_version(wheel))
    assert row is not None
    info = wheel["build_info"]
    assert list(row.archs) == info["cuda_compute_capabilities"]
    assert row.build_cuda == info["cuda_version"]
    # the fat binaries hold what build_info names: PTX only for the compute_XY entries
    assert [f"compute_{a}" for a in wheel["ptx"]] == [a for a in row.archs if a.startswith("compute_")]
    assert {f"sm_{a}" for a in wheel["sass"]} >= {a for a in row.archs if a.startswith("sm_")}


@pytest.mark.parametrize("wheel", RECORD["wheels"], ids=_version)
def test_blackwell_is_beyond_what_the_wheel_ships(wheel: dict[str, Any]) -> None:
    m = load_matrices()
    cuda = wheel["build_info"]["cuda_version"]
    assert max(wheel["sass"]) < 100 and max(wheel["ptx"]) < 100  # no sm_100 / sm_120 code
    assert beyond_ceiling(m, cuda, "12.0") is not None  # CUDA 12.5 could not have built any
    assert tf_ptx_fails(m, cuda, "12.0") is not None
    assert tf_ptx_fails(m, cuda, "9.0") is None  # Hopper: compute_90 PTX and sm_90 SASS
