"""What-if cases for the torch checks, each traced to the source fact it rests on.

Every case builds an Environment as ``--pin`` / ``--python`` would and asserts
the exact set of (code, severity, components) the torch checks produce.
Sources (as cited in matrices/torch.toml):
  REL   pytorch/pytorch RELEASE.md "Release Compatibility Matrix" (Python, CUDA)
  TV    pytorch/vision README torch <-> torchvision <-> Python table
  TA    torchaudio 2.11 installation docs, "Compatibility Matrix"
  TI    pytorch/test-infra release matrices (exact pairs, PyPI default variant)
  RFC   pytorch/pytorch CUDA-support RFC issues (#134015, #138609, #172663, #190355)
  NP    pytorch/pytorch#107302 / #132179 (numpy 2 needs torch >= 2.3)
  A211  pytorch/audio v2.11.1 release notes (stable ABI, CUDA-major-only check)
  WHL   Requires-Dist of the PyPI wheels (torchvision: torch==X; torch: nvidia-* pins)
  BLD   pytorch/builder release/pypi/promote_pypi_to_staging.sh (the +cuXYZ build on PyPI)
"""

from __future__ import annotations

from typing import Any

import pytest

from compataudit.checks import CheckContext
from compataudit.checks import torch as torch_checks
from compataudit.compat.matrices import load_matrices
from tests.envs import environment

E, W, N = "error", "warning", "info"  # N: iNfo
TP, VP, AP = ("torch", "python"), ("torchvision", "python"), ("torchaudio", "python")
TV, TA, TN = ("torch", "torchvision"), ("torch", "torchaudio"), ("torch", "numpy")

Pins = tuple[tuple[str, str], ...]
Expected = frozenset[tuple[str, str, tuple[str, ...]]]


def case(
    case_id: str, pins: Pins, python: str, *expected: tuple[str, str, tuple[str, ...]]
) -> Any:  # a pytest ParameterSet
    return pytest.param(pins, python, frozenset(expected), id=case_id)


CASES = [
    # ---------------------------------------------------------------- PY001 (REL, TV, TA)
    case("REL-2.4-py313", (("torch", "2.4.1"),), "3.13.0", ("PY001", E, TP)),
    case("REL-2.4-py312", (("torch", "2.4.1"),), "3.12.4"),
    case("REL-2.5-py313-experimental", (("torch", "2.5.1"),), "3.13.1", ("PY001", W, TP)),
    case("REL-2.5-py38", (("torch", "2.5.1"),), "3.8.18", ("PY001", E, TP)),
    case("REL-2.6-py313", (("torch", "2.6.0"),), "3.13.1"),
    case("REL-2.6-py314", (("torch", "2.6.0"),), "3.14.0", ("PY001", E, TP)),
    case("REL-2.9-py39", (("torch", "2.9.0"),), "3.9.18", ("PY001", E, TP)),
    case("REL-2.9-py314", (("torch", "2.9.0"),), "3.14.0"),
    case("REL-2.0-py312", (("torch", "2.0.1"),), "3.12.0", ("PY001", E, TP)),
    case("REL-2.0-py311", (("torch", "2.0.1"),), "3.11.9"),
    case("REL-1.13-py311", (("torch", "1.13.1"),), "3.11.0"),  # PyPI ships cp311 wheels
    case("REL-2.15-py310", (("torch", "2.15.0"),), "3.10.14", ("PY001", E, TP)),  # cp311+ only
    case("REL-1.12-py37", (("torch", "1.12.1"),), "3.7.9"),
    case("REL-2.2-py312-experimental", (("torch", "2.2.2"),), "3.12.1", ("PY001", W, TP)),
    case("REL-2.3-py312-experimental", (("torch", "2.3.1"),), "3.12.1", ("PY001", W, TP)),
    case("REL+TI-2.13-py315-preview", (("torch", "2.13.0"),), "3.15.0", ("PY001", W, TP)),
    case("REL-2.14-py314", (("torch", "2.14.0"),), "3.14.0"),
    case("REL-2.8-py314", (("torch", "2.8.0"),), "3.14.0", ("PY001", E, TP)),
    case("REL-2.12-py310", (("torch", "2.12.1+cu126"),), "3.10.0"),
    case("REL-local-label-ignored", (("torch", "2.4.1+cu124"),), "3.13.0", ("PY001", E, TP)),
    case("TV-0.21-py313", (("torch", "2.6.0"), ("torchvision", "0.21.0")), "3.13.1"),  # cp313
    case("TV-0.22-py313", (("torch", "2.7.0"), ("torchvision", "0.22.0")), "3.13.1"),
    case("TV-0.14-py371", (("torch", "1.13.1"), ("torchvision", "0.14.1")), "3.7.1", ("PY001", E, VP)),
    case(
        "REL+TV-2.13-py315",
        (("torch", "2.13.0"), ("torchvision", "0.28.0")),
        "3.15.0",
        ("PY001", W, TP),
        ("PY001", E, VP),
    ),
    case("TA-2.6-py313", (("torch", "2.6.0"), ("torchaudio", "2.6.0")), "3.13.0"),
    case("TA-2.1-py311", (("torch", "2.1.2"), ("torchaudio", "2.1.2")), "3.11.5"),
    case("TA-2.11-py314", (("torch", "2.12.1"), ("torchaudio", "2.11.0")), "3.14.0"),
    case(
        "TA-2.6-py314",
        (("torch", "2.6.0"), ("torchaudio", "2.6.0")),
        "3.14.0",
        ("PY001", E, TP),
        ("PY001", E, AP),
    ),
    # ---------------------------------------------------------------- TCH001 (TV, TI)
    # a patch pair the extension's wheel pins exactly (its Requires-Dist, recorded in the
    # harvest) is TCH004's error, as it is for the installed wheel
    case("TV-2.5-0.20", (("torch", "2.5.1"), ("torchvision", "0.20.1")), "3.11.7"),
    case("TV-2.5-0.19", (("torch", "2.5.1"), ("torchvision", "0.19.0")), "3.11.7", ("TCH001", E, TV)),
    case("TV-2.13-0.28", (("torch", "2.13.0"), ("torchvision", "0.28.0")), "3.11.7"),
    case("TV-2.13-0.27", (("torch", "2.13.0"), ("torchvision", "0.27.1")), "3.11.7", ("TCH001", E, TV)),
    case("TV-2.0-0.15", (("torch", "2.0.1"), ("torchvision", "0.15.2")), "3.10.12"),
    case("TV-1.12-0.13", (("torch", "1.12.1"), ("torchvision", "0.13.1")), "3.10.12"),
    case("TI-2.1.2-0.16.2", (("torch", "2.1.2"), ("torchvision", "0.16.2")), "3.11.7"),
    case("TI-2.1.2-0.16.0", (("torch", "2.1.2"), ("torchvision", "0.16.0")), "3.11.7", ("TCH004", E, TV)),
    case("TI-2.2.0-0.17.0", (("torch", "2.2.0"), ("torchvision", "0.17.0")), "3.11.7"),
    case("TV-2.11-0.26", (("torch", "2.11.0"), ("torchvision", "0.26.0")), "3.12.3"),
    case("TV-2.10-0.26", (("torch", "2.10.0"), ("torchvision", "0.26.0")), "3.12.3", ("TCH001", E, TV)),
    case("TV-2.9-0.24", (("torch", "2.9.1"), ("torchvision", "0.24.1")), "3.12.3"),
    case("TV-2.3-0.18", (("torch", "2.3.1"), ("torchvision", "0.18.1")), "3.11.7"),
    case("TV-2.6-0.22-newer", (("torch", "2.6.0"), ("torchvision", "0.22.0")), "3.11.7", ("TCH001", E, TV)),
    case("WHL-2.0.0-0.15.1", (("torch", "2.0.0"), ("torchvision", "0.15.1")), "3.10.12"),
    case("WHL-2.0.0-0.15.2", (("torch", "2.0.0"), ("torchvision", "0.15.2")), "3.10.12", ("TCH004", E, TV)),
    case("WHL-1.12.0-0.13.1", (("torch", "1.12.0"), ("torchvision", "0.13.1")), "3.10.12", ("TCH004", E, TV)),
    case("WHL-2.4.1-0.19.0", (("torch", "2.4.1"), ("torchvision", "0.19.0")), "3.11.7", ("TCH004", E, TV)),
    case("WHL-2.7.1-0.22.1", (("torch", "2.7.1"), ("torchvision", "0.22.1")), "3.12.3"),
    case("WHL-2.12.0-0.27.1", (("torch", "2.12.0"), ("torchvision", "0.27.1")), "3.12.3", ("TCH004", E, TV)),
    case(
        "WHL-2.12.1+cu126-0.27.1+cu126",
        (("torch", "2.12.1+cu126"), ("torchvision", "0.27.1+cu126")),
        "3.12.3",
    ),
    # ---------------------------------------------------------------- TCH002 (TA)
    case("TA-2.0.0-2.0.1", (("torch", "2.0.0"), ("torchaudio", "2.0.1")), "3.10.12"),
    case("TA-2.0.1-2.0.1", (("torch", "2.0.1"), ("torchaudio", "2.0.1")), "3.10.12", ("TCH004", E, TA)),
    case("TA-2.12-2.11-stable-abi", (("torch", "2.12.1"), ("torchaudio", "2.11.0")), "3.12.3"),
    case("TA-2.14-2.11-stable-abi", (("torch", "2.14.0"), ("torchaudio", "2.11.0")), "3.12.3"),
    case("TA-2.10-2.11", (("torch", "2.10.0"), ("torchaudio", "2.11.0")), "3.12.3", ("TCH002", E, TA)),
    case("TA-2.5-2.4", (("torch", "2.5.1"), ("torchaudio", "2.4.1")), "3.11.7", ("TCH002", E, TA)),
    case("TA-1.13-0.13", (("torch", "1.13.1"), ("torchaudio", "0.13.1")), "3.10.12"),
    case("TA-1.13-0.12", (("torch", "1.13.1"), ("torchaudio", "0.12.1")), "3.10.12", ("TCH002", E, TA)),
    case("TA-2.4.1-2.4.1", (("torch", "2.4.1"), ("torchaudio", "2.4.1")), "3.11.7"),
    case("TA-2.4.1-2.4.0", (("torch", "2.4.1"), ("torchaudio", "2.4.0")), "3.11.7", ("TCH004", E, TA)),
    # ---------------------------------------------------------------- TCH003 (RFC, TI, A211)
    case(
        "VAR-cu121-cpu",
        (("torch", "2.5.1+cu121"), ("torchvision", "0.20.1+cpu")),
        "3.11.7",
        ("TCH003", E, TV),
    ),
    case(
        "VAR-all-cu124",
        (("torch", "2.5.1+cu124"), ("torchvision", "0.20.1+cu124"), ("torchaudio", "2.5.1+cu124")),
        "3.11.7",
    ),
    case(
        "VAR-cu121-cu118",
        (("torch", "2.5.1+cu121"), ("torchvision", "0.20.1+cu118")),
        "3.11.7",
        ("TCH003", E, TV),
    ),
    case(
        "VAR-cu124-cu121-same-major",
        (("torch", "2.5.1+cu124"), ("torchvision", "0.20.1+cu121")),
        "3.11.7",
        ("TCH003", W, TV),
    ),
    case(
        "RFC-2.13-pypi-cu130-vs-ta-cu128",
        (("torch", "2.13.0"), ("torchaudio", "2.11.0+cu128")),
        "3.11.7",
        ("TCH003", E, TA),
    ),
    case(
        "A211-2.11.0-checks-minor",
        (("torch", "2.13.0+cu132"), ("torchaudio", "2.11.0+cu130")),
        "3.11.7",
        ("TCH003", E, TA),
    ),
    case("A211-2.11.1-major-only", (("torch", "2.13.0+cu132"), ("torchaudio", "2.11.1+cu130")), "3.11.7"),
    case(
        "RFC-2.5-pypi-cu124-vs-cpu",
        (("torch", "2.5.1"), ("torchvision", "0.20.1+cpu")),
        "3.11.7",
        ("TCH003", E, TV),
    ),
    case("TI-both-plain-pypi", (("torch", "2.5.1"), ("torchvision", "0.20.1")), "3.11.7"),
    case(
        "TI-cpu-torch-plain-tv",
        (("torch", "2.9.0+cpu"), ("torchvision", "0.24.0")),
        "3.12.3",
        ("TCH003", E, TV),
    ),
    case("VAR-rocm-both", (("torch", "2.7.1+rocm6.3"), ("torchvision", "0.22.1+rocm6.3")), "3.12.3"),
    case(
        "VAR-rocm-vs-cuda",
        (("torch", "2.7.1+rocm6.3"), ("torchvision", "0.22.1+cu126")),
        "3.12.3",
        ("TCH003", E, TV),
    ),
    case(
        "TI-2.10-cu128-pin-plain-tv", (("torch", "2.10.0+cu128"), ("torchvision", "0.25.0")), "3.12.3"
    ),  # plain PyPI 2.10 is cu128 (test-infra e8208cf2, WHL)
    case(
        "TI-2.10-pypi-cu128-vs-tv-cu126",
        (("torch", "2.10.0"), ("torchvision", "0.25.0+cu126")),
        "3.12.3",
        ("TCH003", W, TV),
    ),
    case(
        "TI-2.10-pypi-cu128-vs-tv-cpu",
        (("torch", "2.10.0"), ("torchvision", "0.25.0+cpu")),
        "3.12.3",
        ("TCH003", E, TV),
    ),
    case(
        "BLD-1.12-pypi-cu102-vs-tv-cu113",
        (("torch", "1.12.1"), ("torchvision", "0.13.1+cu113")),
        "3.10.12",
        ("TCH003", E, TV),
    ),
    case(
        "BLD-1.12-cu113-vs-plain-tv-cu102",
        (("torch", "1.12.1+cu113"), ("torchvision", "0.13.1")),
        "3.10.12",
        ("TCH003", E, TV),
    ),
    case(
        "BLD-2.1-pypi-cu121-vs-tv-cu118",
        (("torch", "2.1.2"), ("torchvision", "0.16.2+cu118")),
        "3.11.7",
        ("TCH003", E, TV),
    ),
    case(
        "BLD-2.4-pypi-cu121-vs-ta-cu124",
        (("torch", "2.4.1"), ("torchaudio", "2.4.1+cu124")),
        "3.11.7",
        ("TCH003", E, TA),
    ),
    case(
        "BLD-2.2-pypi-cu121-all-plain",
        (("torch", "2.2.2"), ("torchvision", "0.17.2"), ("torchaudio", "2.2.2")),
        "3.11.7",
    ),
    # ---------------------------------------------------------------- NPY001 (NP)
    case("NP-2.1-numpy2", (("torch", "2.1.0"), ("numpy", "2.0.0")), "3.11.7", ("NPY001", E, TN)),
    case("NP-2.3-numpy2", (("torch", "2.3.0"), ("numpy", "2.0.0")), "3.11.7"),
    case("NP-2.2-numpy1", (("torch", "2.2.2"), ("numpy", "1.26.4")), "3.11.7"),
    case("NP-2.2-numpy21", (("torch", "2.2.2"), ("numpy", "2.1.0")), "3.11.7", ("NPY001", E, TN)),
    case("NP-1.13-numpy2", (("torch", "1.13.1"), ("numpy", "2.0.0")), "3.10.12", ("NPY001", E, TN)),
    case("NP-2.13-numpy24", (("torch", "2.13.0+cpu"), ("numpy", "2.4.6")), "3.11.7"),
    case("NP-numpy2-rc", (("torch", "2.1.0"), ("numpy", "2.0.0rc1")), "3.11.7", ("NPY001", E, TN)),
    case("REL+NP-2.4-py313-numpy2", (("torch", "2.4.1"), ("numpy", "2.0.0")), "3.13.0", ("PY001", E, TP)),
    # ---------------------------------------------------------------- MAT001: unknown never errors
    case("MAT-nightly", (("torch", "2.7.0.dev20250101+cu128"),), "3.12.3", ("MAT001", N, ("torch",))),
    case(
        "MAT-vendor-ngc",
        (("torch", "2.4.0a0+07cecf4168.nv24.5"), ("torchvision", "0.19.0a0")),
        "3.10.12",
        ("MAT001", N, ("torch",)),
        ("MAT001", N, ("torchvision",)),
    ),
    case("MAT-newer-than-data", (("torch", "2.16.0"),), "3.12.3", ("MAT001", N, ("torch",))),
    case(
        "MAT-newer-pair",
        (("torch", "2.16.0"), ("torchvision", "0.30.0")),
        "3.12.3",
        ("MAT001", N, ("torch",)),
        ("MAT001", N, ("torchvision",)),
    ),
    # 0.29 from the wheels: 0.29.0 pins torch==2.14.0, 0.29.2 (torch>=2.14.0) ships with 2.15.0
    case("TV-0.29-for-2.14", (("torch", "2.14.0"), ("torchvision", "0.29.0")), "3.12.3"),
    case("TV-0.29.2-for-2.15", (("torch", "2.15.0"), ("torchvision", "0.29.2")), "3.12.3"),
    case(
        "TV-0.29.0-not-2.15",
        (("torch", "2.15.0"), ("torchvision", "0.29.0")),
        "3.12.3",
        ("TCH004", E, ("torch", "torchvision")),
    ),
    case("MAT-source-build", (("torch", "2.10.0a0+gite67e3d9"),), "3.12.3", ("MAT001", N, ("torch",))),
    case("MAT-older-than-data", (("torch", "1.11.0"),), "3.9.18", ("MAT001", N, ("torch",))),
    case(
        "MAT-nightly-skips-pairs",
        (("torch", "2.6.0.dev20241001+cu124"), ("torchvision", "0.21.0")),
        "3.12.3",
        ("MAT001", N, ("torch",)),
        # the matrices skip the pair, but torchvision 0.21.0's wheel pins torch==2.6.0
        ("TCH004", E, TV),
    ),
    case(
        "MAT-nightly-old-numpy-rules-skipped",
        (("torch", "2.2.0.dev20231010+cpu"), ("numpy", "2.0.0")),
        "3.11.7",
        ("MAT001", N, ("torch",)),
    ),
    case("MAT-unparsable-left-to-PKG005", (("torch", "not.a.version"),), "3.11.7"),
    # ---------------------------------------------------------------- whole stacks
    case(
        "full-2.1-cu121",
        (
            ("torch", "2.1.0+cu121"),
            ("torchvision", "0.16.0+cu121"),
            ("torchaudio", "2.1.0+cu121"),
            ("numpy", "1.26.4"),
        ),
        "3.11.7",
    ),
    case(
        "full-2.0-pypi",
        (("torch", "2.0.1"), ("torchvision", "0.15.2"), ("torchaudio", "2.0.2"), ("numpy", "1.26.4")),
        "3.10.12",
    ),
    case(
        "full-2.13-pypi",
        (("torch", "2.13.0"), ("torchvision", "0.28.0"), ("torchaudio", "2.11.0"), ("numpy", "2.4.6")),
        "3.12.3",
    ),
    case("no-torch-at-all", (("numpy", "2.0.0"), ("torchvision", "0.20.1")), "3.11.7"),
]


@pytest.mark.parametrize(("pins", "python", "expected"), CASES)
def test_torch_what_if(pins: Pins, python: str, expected: Expected) -> None:
    ctx = CheckContext(environment(*pins, python=python, pinned=True, origin="what-if"), load_matrices())
    found = {(f.code, f.severity.value, f.components) for check in torch_checks.CHECKS for f in check(ctx)}
    assert found == expected


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 60
    kinds = {"PY001", "TCH001", "TCH002", "TCH003", "NPY001", "MAT001"}
    expected_sets = [c.values[2] for c in CASES]
    assert kinds <= {code for found in expected_sets for code, _, _ in found}
    assert sum(1 for found in expected_sets if not found) >= 20  # compatible stacks too
