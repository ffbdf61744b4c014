"""The newest GPU architecture a CUDA toolkit can compile for (``matrices/cuda.toml`` ``[[arch]]``).

A build made with CUDA X.Y carries machine code (SASS) only for architectures that toolkit
knows: no CUDA 12.6 build can hold sm_100 or sm_120 code, because those arrived with CUDA
12.8 (NVIDIA's CUDA 12.8 release notes and Blackwell compatibility guide). Where a build's
own architecture list is unknown, this ceiling still says which GPUs it cannot target; a
list read from the wheel is always preferred over it.
"""

from __future__ import annotations

from typing import NamedTuple

from compataudit.compat._rows import read_rows
from compataudit.compat.cuda import Cc, parse_cc
from compataudit.compat.matrices import Matrices
from compataudit.versions import numeric_prefix


class ArchFloor(NamedTuple):
    """The first toolkit able to compile for one architecture family."""

    family: str
    ccs: tuple[Cc, ...]
    first: str | None  # "12.8"; None: older than every toolkit the data lists
    sources: tuple[str, ...]


def arch_floors(matrices: Matrices) -> tuple[ArchFloor, ...]:
    """The ``[[arch]]`` rows of ``cuda.toml`` (built once per ``Matrices``)."""
    cached = matrices.views.get("arch_floors")
    if isinstance(cached, tuple):
        return cached
    rows = []
    for r in read_rows(matrices, "cuda", "arch"):
        ccs = tuple(cc for cc in map(parse_cc, r.texts("ccs")) if cc is not None)
        if not ccs:
            raise r.fail("ccs", 'a list of "X.Y" compute capabilities')
        rows.append(ArchFloor(r.required("family"), ccs, r.version("first"), r.sources()))
    floors = tuple(rows)
    matrices.views["arch_floors"] = floors
    return floors


def first_toolkit(matrices: Matrices, cc: str | None) -> ArchFloor | None:
    """The row of the architecture ``cc`` belongs to: the exact compute capability, else the
    newest listed one of the same major below it (8.6 -> the 8.0 row: a floor that is never
    later than the truth). None when the data has no row for that major."""
    parsed = parse_cc(cc)
    if parsed is None:
        return None
    best: tuple[Cc, ArchFloor] | None = None
    for row in arch_floors(matrices):
        for listed in row.ccs:
            if listed[0] == parsed[0] and listed <= parsed and (best is None or listed > best[0]):
                best = (listed, row)
    return best[1] if best else None


def beyond_ceiling(matrices: Matrices, build_cuda: str | None, cc: str | None) -> ArchFloor | None:
    """The ``[[arch]]`` row when a build made with CUDA ``build_cuda`` cannot carry SASS for
    a GPU of compute capability ``cc`` (its toolkit predates the architecture), else None."""
    row = first_toolkit(matrices, cc)
    built, first = numeric_prefix(build_cuda), numeric_prefix(row.first if row else None)
    if row is None or built is None or first is None:
        return None
    return row if built.release[:2] < first.release[:2] else None


def tf_ptx_fails(matrices: Matrices, build_cuda: str | None, cc: str | None) -> ArchFloor | None:
    """TensorFlow's PTX fallback does not run on a GPU of compute capability 10.0 or newer
    whose architecture is newer than the CUDA of the build: its generated kernels fail to
    load (``CUDA_ERROR_INVALID_PTX``) and XLA emits PTX 8.5, which cannot target sm_120
    (tensorflow#99592, #89272, #111958). The ``[[arch]]`` row when that is the case."""
    parsed = parse_cc(cc)
    if parsed is None or parsed < (10, 0):
        return None
    return beyond_ceiling(matrices, build_cuda, cc)
