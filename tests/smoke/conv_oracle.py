"""The convolution straight from its definition: scalar loops on tiny shapes, the oracle that
both smoke references (numpy's and the pure-Python one) are checked against."""

from __future__ import annotations

from compataudit.smoke.kernels import _pyref


def direct_conv(x: _pyref.Grid, w: _pyref.Grid, g: _pyref.Grid) -> _pyref.Grids:
    """Scalar loops straight from the definition, independent of the row-wise reference."""
    n, c, h, wd = _pyref.shape_of(x)
    o, _, k, _ = _pyref.shape_of(w)
    pad = k // 2
    y, dx, dw = _pyref.zeros((n, o, h, wd)), _pyref.zeros((n, c, h, wd)), _pyref.zeros((o, c, k, k))
    for b in range(n):
        for oc in range(o):
            for i in range(h):
                for j in range(wd):
                    for ic in range(c):
                        for a in range(k):
                            for e in range(k):
                                ii, jj = i + a - pad, j + e - pad
                                if 0 <= ii < h and 0 <= jj < wd:
                                    y[b][oc][i][j] += x[b][ic][ii][jj] * w[oc][ic][a][e]
                                    dx[b][ic][ii][jj] += g[b][oc][i][j] * w[oc][ic][a][e]
                                    dw[oc][ic][a][e] += g[b][oc][i][j] * x[b][ic][ii][jj]
    return y, dx, dw
