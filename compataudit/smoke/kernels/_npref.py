"""The smoke kernels' float64 reference in numpy: rounding, conv2d and its gradients, error.

The default reference (every framework but torch depends on numpy). Imported
only by :func:`_common.numpy_reference`, so that the torch kernel runs where
numpy is not installed; ``_pyref`` is the same in pure Python. Like the rest of
the kernels this module never imports compataudit.
"""

from __future__ import annotations

import math
from typing import TypeAlias

import numpy as np

Arrays: TypeAlias = tuple[np.ndarray, np.ndarray, np.ndarray]


def to_array(a: object) -> np.ndarray:
    """Nested lists of numbers as a new float64 array."""
    return np.array(a, dtype=np.float64)


def round_to(dtype: str, a: np.ndarray) -> np.ndarray:
    """``a`` rounded to ``dtype`` and back to float64.

    The reference then uses exactly the numbers the framework received, so the
    error measures the computation, not the rounding of the inputs.
    """
    if dtype == "float16":
        return a.astype(np.float16).astype(np.float64)
    a32 = np.ascontiguousarray(a, dtype=np.float32)
    if dtype == "bfloat16":
        # Round to nearest even on the top 16 bits of the float32 pattern.
        bits = a32.view(np.uint32).astype(np.uint64)
        lsb = (bits >> np.uint64(16)) & np.uint64(1)
        rounded = (bits + np.uint64(0x7FFF) + lsb) & np.uint64(0xFFFF0000)
        as_bf16: np.ndarray = rounded.astype(np.uint32).view(np.float32)
        return as_bf16.astype(np.float64)
    return a32.astype(np.float64)


def reference_conv(x: np.ndarray, w: np.ndarray, g: np.ndarray) -> Arrays:
    """float64 conv2d (stride 1, same padding) output and gradients of ``sum(y * g)``."""
    k = w.shape[-1]
    pad = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))
    y = np.einsum("nchwab,ocab->nohw", windows, w, optimize=True)
    dw = np.einsum("nohw,nchwab->ocab", g, windows, optimize=True)
    height, width = x.shape[2], x.shape[3]
    dxp = np.zeros_like(xp)
    for a in range(k):
        for b in range(k):
            dxp[:, :, a : a + height, b : b + width] += np.einsum("nohw,oc->nchw", g, w[:, :, a, b])
    return y, dxp[:, :, pad : pad + height, pad : pad + width], dw


def rel_error(out: object, ref: np.ndarray) -> float:
    """||out - ref|| / ||ref||; inf when ``out`` holds NaN/inf or has the wrong shape."""
    try:
        got = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):  # ragged nested lists, non-numbers
        return math.inf
    if got.shape != ref.shape or not np.all(np.isfinite(got)):
        return math.inf
    denom = float(np.linalg.norm(ref))
    return float(np.linalg.norm(got - ref)) / denom if denom else math.inf
