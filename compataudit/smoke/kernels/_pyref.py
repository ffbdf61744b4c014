"""The smoke kernels' inputs and float64 reference in pure Python (standard library only).

Used where numpy cannot be imported: torch does not depend on numpy, so a clean
``pip install torch`` must not be reported as broken for lacking it. Pure Python
rather than torch's own float64 CPU convolution keeps the reference independent
of the framework under test (a conv or autograd bug shared by every torch
device and precision still fails), and the shapes are tiny (~110k multiply-adds
per pass), so it costs tens of milliseconds.

Arrays are nested lists of floats (NCHW / OIHW), as ``torch.Tensor.tolist()``
gives them. Like the rest of the kernels this module never imports compataudit.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable, Sequence
from operator import mul
from typing import TypeAlias

Grid: TypeAlias = list[list[list[list[float]]]]  # a 4-D array as nested lists
Grids: TypeAlias = tuple[Grid, Grid, Grid]


def shape_of(a: Grid) -> tuple[int, int, int, int]:
    """The shape of a (non-empty, rectangular) 4-D grid."""
    return len(a), len(a[0]), len(a[0][0]), len(a[0][0][0])


def zeros(shape: Sequence[int]) -> Grid:
    n, c, h, w = shape
    return [[[[0.0] * w for _ in range(h)] for _ in range(c)] for _ in range(n)]


def normal_grid(rng: random.Random, shape: Sequence[int], scale: float = 1.0) -> Grid:
    """A grid of seeded standard-normal draws times ``scale``."""
    n, c, h, w = shape
    return [
        [[[rng.gauss(0.0, 1.0) * scale for _ in range(w)] for _ in range(h)] for _ in range(c)]
        for _ in range(n)
    ]


def _float32(value: float) -> float:
    # struct's C float conversion rounds to nearest, ties to even.
    result: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return result


def _float16(value: float) -> float:
    # The "e" format packs IEEE half precision, rounding to nearest, ties to even.
    result: float = struct.unpack("<e", struct.pack("<e", value))[0]
    return result


def _bfloat16(value: float) -> float:
    # Same as the numpy path: round the float32 pattern to its top 16 bits, ties to even.
    bits: int = struct.unpack("<I", struct.pack("<f", value))[0]
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    result: float = struct.unpack("<f", struct.pack("<I", rounded & 0xFFFFFFFF))[0]
    return result


ROUNDERS: dict[str, Callable[[float], float]] = {
    "float32": _float32,
    "float16": _float16,
    "bfloat16": _bfloat16,
}


def round_to(dtype: str, a: Grid) -> Grid:
    """A new grid: ``a`` rounded to ``dtype`` (unknown dtypes as float32), back in float64."""
    rnd = ROUNDERS.get(dtype, _float32)
    return [[[[rnd(v) for v in row] for row in plane] for plane in sample] for sample in a]


def _padded(x: Grid, pad: int) -> Grid:
    width = len(x[0][0][0]) + 2 * pad
    edge = [0.0] * pad

    def plane_padded(plane: list[list[float]]) -> list[list[float]]:
        rows = [edge + row + edge for row in plane]
        return [[0.0] * width for _ in range(pad)] + rows + [[0.0] * width for _ in range(pad)]

    return [[plane_padded(plane) for plane in sample] for sample in x]


def reference_conv(x: Grid, w: Grid, g: Grid) -> Grids:
    """float64 conv2d (stride 1, same padding) output and gradients of ``sum(y * g)``.

    Loops over (sample, out channel, in channel, kernel offset, row) and works on
    whole rows with list comprehensions, which keeps the interpreter overhead low.
    """
    n, c, height, width = shape_of(x)
    o, k = len(w), len(w[0][0])
    pad = k // 2
    xp = _padded(x, pad)
    y = zeros((n, o, height, width))
    dxp = zeros((n, c, height + 2 * pad, width + 2 * pad))
    dw = zeros((o, c, k, k))
    for b in range(n):
        for oc in range(o):
            y_plane, g_plane = y[b][oc], g[b][oc]
            for ic in range(c):
                x_plane, dx_plane = xp[b][ic], dxp[b][ic]
                for a in range(k):
                    for e in range(k):
                        wv = w[oc][ic][a][e]
                        acc = 0.0
                        for i in range(height):
                            window = x_plane[i + a][e : e + width]
                            g_row, dx_row = g_plane[i], dx_plane[i + a]
                            y_plane[i] = [yv + wv * xv for yv, xv in zip(y_plane[i], window, strict=True)]
                            dx_row[e : e + width] = [
                                dv + wv * gv for dv, gv in zip(dx_row[e : e + width], g_row, strict=True)
                            ]
                            acc += sum(map(mul, g_row, window))
                        dw[oc][ic][a][e] += acc
    dx = [
        [[row[pad : pad + width] for row in plane[pad : pad + height]] for plane in sample] for sample in dxp
    ]
    return y, dx, dw


def _flat(a: object, shape: Sequence[int]) -> list[float] | None:
    """The values of nested sequences ``a`` if it has exactly ``shape``, else None."""
    if not shape:
        if isinstance(a, (int, float)) and not isinstance(a, bool):
            return [float(a)]
        return None
    if not isinstance(a, (list, tuple)) or len(a) != shape[0]:
        return None
    values: list[float] = []
    for item in a:
        part = _flat(item, shape[1:])
        if part is None:
            return None
        values += part
    return values


def rel_error(out: object, ref: Grid) -> float:
    """||out - ref|| / ||ref||; inf when ``out`` holds NaN/inf or has the wrong shape."""
    want = _flat(ref, shape_of(ref))
    got = _flat(out, shape_of(ref))
    if want is None or got is None or not all(math.isfinite(v) for v in got):
        return math.inf
    denom = math.sqrt(math.fsum(v * v for v in want))
    if not denom:
        return math.inf
    return math.sqrt(math.fsum((u - v) ** 2 for u, v in zip(got, want, strict=True))) / denom
