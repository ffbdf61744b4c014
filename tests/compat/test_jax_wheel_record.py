"""jax.toml's GPU architectures held to the CUDA plugin wheels themselves.

``matrices/recorded/jax_wheels.json`` (tools/wheel_fatbin.py) holds the SASS and PTX images of
every jax-cudaNN-plugin wheel whose release has a row (0.4.30 on) and of the -pjrt wheels of
0.11.0 - 0.12.1. A row's ``cudaNN_archs`` must be exactly what its plugin wheel ships, and the
pjrt wheel of the same release must ship the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compataudit.compat import jax as jax_compat
from compataudit.compat.cuda import arch_supported
from compataudit.compat.matrices import load_matrices

MATRICES = Path(__file__).resolve().parents[2] / "matrices"
RECORD = json.loads((MATRICES / "recorded" / "jax_wheels.json").read_text(encoding="utf-8"))
HARVEST = json.loads((MATRICES / "harvested" / "jax.json").read_text(encoding="utf-8"))


def _parts(wheel: dict[str, Any]) -> tuple[str, str, int]:
    name, version = wheel["wheel"].split("-")[:2]
    package = name.replace("_", "-")
    return package, version, 12 if "cuda12" in package else 13


def _archs(wheel: dict[str, Any]) -> list[str]:
    return [f"sm_{a}" for a in wheel["sass"]] + [f"compute_{a}" for a in wheel["ptx"]]


IDS = [f"{_parts(w)[0]}-{_parts(w)[1]}" for w in RECORD["wheels"]]


@pytest.mark.parametrize("wheel", RECORD["wheels"], ids=IDS)
def test_the_recorded_wheel_is_the_one_the_index_lists(wheel: dict[str, Any]) -> None:
    package, version, _ = _parts(wheel)
    files = HARVEST["packages"][package]["releases"][version]["wheels"]
    assert [wheel["wheel"], wheel["sha256"]] in [entry[:2] for entry in files]


@pytest.mark.parametrize("wheel", RECORD["wheels"], ids=IDS)
def test_the_row_lists_what_the_wheel_ships(wheel: dict[str, Any]) -> None:
    _, version, major = _parts(wheel)
    m = load_matrices()
    rows = [r for r in jax_compat.jax_view(m).releases if str(r.jaxlib) == version]
    assert rows, f"no jax.toml row for {version}"
    for row in rows:
        assert list(row.archs[major]) == _archs(wheel)


def test_every_plugin_row_was_read_from_a_wheel() -> None:
    read = {(_parts(w)[1], _parts(w)[2]) for w in RECORD["wheels"] if "-plugin" in _parts(w)[0]}
    listed = {
        (str(r.jaxlib), major) for r in jax_compat.jax_view(load_matrices()).releases for major in r.archs
    }
    assert listed == read
    assert len(read) > 50


def test_hopper_and_blackwell_run_machine_code_not_ptx() -> None:
    # .bazelrc's "compute_90" (0.4.30) and "compute_120" (0.6 on) ship SASS too: no PTX JIT
    m = load_matrices()
    old = jax_compat.jax_release(m, "0.4.30")
    new = jax_compat.jax_release(m, "0.12.0.1")
    assert old is not None and new is not None
    assert arch_supported("9.0", old.archs[12]) == "sass"
    assert arch_supported("12.0", old.archs[12]) == "ptx"
    assert arch_supported("12.0", new.archs[12]) == "sass"
    assert arch_supported("12.1", new.archs[13]) == "sass"
