"""The pure-Python reference the torch kernel uses where numpy is not installed."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from compataudit.smoke.kernels import _common, _npref, _pyref
from tests.smoke.conv_oracle import direct_conv


@pytest.mark.parametrize(
    ("x_shape", "w_shape"),
    [
        ((2, 2, 5, 4), (3, 2, 3, 3)),  # non-square image
        ((1, 3, 4, 6), (2, 3, 1, 1)),  # 1x1 kernel: no padding
        ((1, 1, 6, 5), (2, 1, 5, 5)),  # kernel wider than half the image
    ],
)
def test_reference_matches_direct_loops(x_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> None:
    rng = random.Random(7)
    y_shape = (x_shape[0], w_shape[0], x_shape[2], x_shape[3])
    x, w, g = (_pyref.normal_grid(rng, shape) for shape in (x_shape, w_shape, y_shape))
    for got, want in zip(_pyref.reference_conv(x, w, g), direct_conv(x, w, g), strict=True):
        np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_same_inputs_and_truth_as_numpy(dtype: str) -> None:
    """Both references see identical rounded inputs and agree to float64 precision."""
    numpy_ref, python_ref = _common.numpy_reference(), _common.python_reference()
    for got, want in zip(python_ref.inputs(dtype), numpy_ref.inputs(dtype), strict=True):
        np.testing.assert_array_equal(np.array(got), want)
    for got, want in zip(python_ref.truth(dtype), numpy_ref.truth(dtype), strict=True):
        assert _pyref.rel_error(got, want.tolist()) < 1e-14
        assert _npref.rel_error(got, want) < 1e-14


@pytest.mark.parametrize(
    ("dtype", "value", "rounded"),
    [
        ("float32", 1.0 + 2.0**-30, 1.0),
        ("float32", 1.0 + 2.0**-24, 1.0),  # a tie rounds to even (down)
        ("float32", 1.0 + 3 * 2.0**-24, 1.0 + 2.0**-22),  # a tie rounds to even (up)
        ("float16", 1.0 + 2.0**-12, 1.0),
        ("float16", 1.0 + 3 * 2.0**-11, 1.0 + 2.0**-9),  # a tie rounds to even
        ("float16", 1e-8, 0.0),  # below half the smallest subnormal
        ("bfloat16", 1.0 + 2.0**-9, 1.0),  # a tie rounds to even (down)
        ("bfloat16", 1.0 + 3 * 2.0**-8, 1.0 + 2.0**-6),  # a tie rounds to even (up)
        ("bfloat16", 1.0 + 2.0**-7, 1.0 + 2.0**-7),  # representable: unchanged
        ("bfloat16", -3.0, -3.0),
    ],
)
def test_round_to(dtype: str, value: float, rounded: float) -> None:
    assert _pyref.round_to(dtype, [[[[value]]]]) == [[[[rounded]]]]
    assert _npref.round_to(dtype, np.array([value]))[0] == rounded  # the numpy path agrees


def test_round_to_copies() -> None:
    grid = [[[[0.5, 0.25]]]]
    rounded = _pyref.round_to("float32", grid)
    rounded[0][0][0][0] = 9.0
    assert grid == [[[[0.5, 0.25]]]]


REF = [[[[1.0, 2.0]]]]


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        ([[[[1.0, 2.0]]]], 0.0),
        (((((1.0, 2.0),),),), 0.0),  # tuples are sequences too
        ([[[[1, 2]]]], 0.0),  # ints are numbers
        ([[[[2.0, 2.0]]]], 1.0 / math.sqrt(5.0)),
        ([[[[math.nan, 2.0]]]], math.inf),
        ([[[[1.0, -math.inf]]]], math.inf),
        ([[[[1.0]]]], math.inf),  # wrong shape
        ([[[[1.0, 2.0, 3.0]]]], math.inf),
        ([[[1.0, 2.0]]], math.inf),  # one level short
        ([[[[[1.0], [2.0]]]]], math.inf),  # one level deep
        ([[[[True, 2.0]]]], math.inf),  # not a number
        ([[[["1", 2.0]]]], math.inf),
        (None, math.inf),
    ],
)
def test_rel_error(out: object, expected: float) -> None:
    assert _pyref.rel_error(out, REF) == pytest.approx(expected)


def test_rel_error_of_a_zero_reference_is_inf() -> None:
    assert _pyref.rel_error([[[[0.0]]]], [[[[0.0]]]]) == math.inf


def test_normal_grid_is_seeded() -> None:
    shape = (2, 3, 4, 5)
    first = _pyref.normal_grid(random.Random(3), shape, 0.5)
    assert first == _pyref.normal_grid(random.Random(3), shape, 0.5)
    assert first != _pyref.normal_grid(random.Random(4), shape, 0.5)
    assert _pyref.shape_of(first) == shape
    values = np.array(first)
    assert np.all(values != 0.0) and 0.2 < values.std() < 0.8
