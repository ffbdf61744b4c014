"""The torch variant rows agree with the builds recorded from the published wheels.

``matrices/recorded/torch_wheels.json`` holds what tools/wheel_archs.py read from each
PyPI torch wheel (its ``torch.cuda.get_arch_list()`` string, its ``nvidia-cudnn`` pin,
its local version). Every recorded wheel must have a variant row, and the row must say
exactly what the wheel says: a disagreement names the row, our value and the wheel's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compataudit.compat import torch as torch_compat
from compataudit.compat.matrices import load_matrices
from compataudit.versions import local_variant

RECORD = Path(__file__).resolve().parents[2] / "matrices" / "recorded" / "torch_wheels.json"
WHEELS: list[dict[str, Any]] = json.loads(RECORD.read_text())["wheels"]


def _wheel_archs(arch_string: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    tokens = arch_string.split()
    dotted = [(t.split("_")[0], t.split("_")[1]) for t in tokens]
    sass = tuple(f"{n[:-1]}.{n[-1]}" for kind, n in dotted if kind == "sm")
    ptx = tuple(f"{n[:-1]}.{n[-1]}" for kind, n in dotted if kind == "compute")
    return sass, ptx


@pytest.mark.parametrize("wheel", WHEELS, ids=[w["local_version"] for w in WHEELS])
def test_variant_row_matches_the_wheel(wheel: dict[str, Any]) -> None:
    version = wheel["local_version"]
    variant = local_variant(version)
    assert variant is not None, version
    matrices = load_matrices()
    if torch_compat.release_for(matrices, version) is None:
        pytest.skip(f"torch {version} has no [[release]] row yet (reported as MAT001)")
    row = torch_compat.variant_info(matrices, version, variant)
    assert row is not None, f"torch.toml has no [[variant]] row for {version}"
    sass, ptx = _wheel_archs(wheel["arch_string"])
    where = f"torch.toml [[variant]] {row.variant} of torch {', '.join(row.torch)}"
    assert row.archs == sass, f"{where}: archs {row.archs} but the {version} wheel has {sass}"
    assert row.ptx == ptx, f"{where}: ptx {row.ptx} but the {version} wheel has {ptx}"
    assert row.cudnn == wheel["cudnn_pin"], (
        f"{where}: cudnn {row.cudnn} but the wheel pins {wheel['cudnn_pin']}"
    )
    assert wheel["url"] in row.sources, f"{where}: does not cite {wheel['wheel']}"


def test_record_covers_every_pypi_torch_since_2_6() -> None:
    minors = {".".join(w["local_version"].split(".")[:2]) for w in WHEELS}
    assert {f"2.{n}" for n in range(6, 16)} <= minors
