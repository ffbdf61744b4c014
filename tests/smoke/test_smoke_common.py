"""The kernels' shared helpers: inputs, reference, judging, device selection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from compataudit.smoke import runner
from compataudit.smoke.kernels import _common


@pytest.mark.parametrize(
    ("name", "wanted", "selected"),
    [
        ("cpu", [], True),
        ("cuda:0", [], True),
        ("cpu", ["cpu"], True),
        ("cuda:0", ["cpu"], False),
        ("cuda:0", ["cuda"], True),
        ("cuda:1", ["cuda:0"], False),
        ("cuda:1", ["cuda:1"], True),
        ("cuda:1", ["gpu"], True),
        ("mps", ["gpu"], True),
        ("cpu", ["gpu"], False),
        ("cuda:1", ["gpu:1"], True),
        ("cuda:1", ["gpu:0"], False),
        ("cuda:0", [" CUDA "], True),
        ("tpu:0", ["cpu", "tpu"], True),
    ],
)
def test_device_selected(name: str, wanted: list[str], selected: bool) -> None:
    assert _common.device_selected(name, wanted) is selected


@pytest.mark.parametrize(
    ("platform", "version", "index", "label"),
    [
        ("cpu", "", 0, "cpu"),
        ("gpu", "cuda 12080", 1, "cuda:1"),
        ("cuda", "", 0, "cuda:0"),
        ("gpu", "rocm 6.2", 0, "rocm:0"),
        ("rocm", "", 2, "rocm:2"),
        ("gpu", "", 0, "gpu:0"),
        ("tpu", "PJRT C API", 3, "tpu:3"),
        ("METAL", "metal", 0, "metal:0"),
    ],
)
def test_jax_device_label(platform: str, version: str, index: int, label: str) -> None:
    assert _common.jax_device_label(platform, version, index) == label


def naive_conv(x: np.ndarray, w: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, ...]:
    """Direct loops, for checking the vectorised reference on tiny shapes."""
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    pad = k // 2
    y = np.zeros((n, o, h, wd))
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for b in range(n):
        for oc in range(o):
            for i in range(h):
                for j in range(wd):
                    for ic in range(c):
                        for a in range(k):
                            for e in range(k):
                                ii, jj = i + a - pad, j + e - pad
                                if 0 <= ii < h and 0 <= jj < wd:
                                    y[b, oc, i, j] += x[b, ic, ii, jj] * w[oc, ic, a, e]
                                    dx[b, ic, ii, jj] += g[b, oc, i, j] * w[oc, ic, a, e]
                                    dw[oc, ic, a, e] += g[b, oc, i, j] * x[b, ic, ii, jj]
    return y, dx, dw


def test_reference_matches_direct_loops() -> None:
    rng = np.random.default_rng(1)
    x, w, g = (
        rng.standard_normal((2, 2, 5, 4)),
        rng.standard_normal((3, 2, 3, 3)),
        rng.standard_normal((2, 3, 5, 4)),
    )
    for got, want in zip(_common.reference_conv(x, w, g), naive_conv(x, w, g), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_inputs_are_seeded_random_and_never_zero() -> None:
    first, second = _common.make_inputs(), _common.make_inputs()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
        assert np.all(a != 0.0) and a.std() > 0.1
    assert not np.array_equal(_common.make_inputs(seed=1)[0], first[0])


@pytest.mark.parametrize(
    ("dtype", "value", "rounded"),
    [
        ("float32", 1.0 + 2.0**-30, 1.0),
        ("float16", 1.0 + 2.0**-12, 1.0),
        ("float16", 1.0 + 3 * 2.0**-11, 1.0 + 2.0**-9),  # a tie rounds to even
        ("bfloat16", 1.0 + 2.0**-9, 1.0),  # a tie rounds to even (down)
        ("bfloat16", 1.0 + 3 * 2.0**-8, 1.0 + 2.0**-6),  # a tie rounds to even (up)
        ("bfloat16", 1.0 + 2.0**-7, 1.0 + 2.0**-7),  # representable: unchanged
        ("bfloat16", -3.0, -3.0),
    ],
)
def test_round_to(dtype: str, value: float, rounded: float) -> None:
    assert _common.round_to(dtype, np.array([value]))[0] == rounded


@pytest.mark.parametrize(
    ("out", "ref", "expected"),
    [
        ([1.0, 2.0], [1.0, 2.0], 0.0),
        ([1.0, 2.0], [1.0, 1.0], 1.0 / math.sqrt(2.0)),
        ([math.nan, 1.0], [1.0, 1.0], math.inf),
        ([math.inf, 1.0], [1.0, 1.0], math.inf),
        ([1.0], [1.0, 1.0], math.inf),
        ([0.0, 0.0], [0.0, 0.0], math.inf),
    ],
)
def test_rel_error(out: list[float], ref: list[float], expected: float) -> None:
    assert _common.rel_error(np.array(out), np.array(ref)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("dtype", "tf32", "limit"),
    [
        ("float32", False, 1e-4),
        ("float32", True, 1e-3),
        ("float16", True, 1e-2),
        ("bfloat16", False, 1e-2),
    ],
)
def test_tolerance(dtype: str, tf32: bool, limit: float) -> None:
    assert _common.tolerance(dtype, tf32) == limit


def reference_case(scale: float = 1.0, nan: bool = False) -> _common.RunCase:
    def run_case(
        device: _common.Device, dtype: str, x: np.ndarray, w: np.ndarray, g: np.ndarray
    ) -> _common.CaseOutput:
        y, dx, dw = naive_conv(x, w, g)  # independent of the reference under test
        dw = dw.copy()
        if nan:
            dw[0, 0, 0, 0] = math.nan
        return _common.CaseOutput(y * scale, dx, dw, 1.0, 2.0)

    return run_case


@pytest.mark.parametrize(
    ("case", "tf32", "status"),
    [
        (reference_case(), False, "pass"),
        (reference_case(scale=1 + 5e-4), True, "pass"),  # within the TF32 tolerance
        (reference_case(scale=1 + 5e-4), False, "fail"),  # not within float32's
        (reference_case(nan=True), False, "fail"),
    ],
)
def test_run_case_checked_judges(case: _common.RunCase, tf32: bool, status: str) -> None:
    device = _common.Device("cuda:0" if tf32 else "cpu", tf32=tf32)
    result = _common.run_case_checked(device, "float32", case)
    assert result["status"] == status
    assert result["forward_ms"] == 1.0 and result["backward_ms"] == 2.0
    if status == "pass":
        assert 0.0 <= result["max_rel_error"] <= 1e-3


def test_run_case_checked_reports_error_last_line() -> None:
    def broken(*_: object) -> _common.CaseOutput:
        raise RuntimeError("CUDA error: no kernel image is available\nfor execution on the device")

    result = _common.run_case_checked(_common.Device("cuda:0"), "float32", broken)
    assert result["status"] == "error"
    assert result["detail"] == "for execution on the device"


def test_run_case_checked_skips_unsupported_dtype() -> None:
    device = _common.Device("cuda:0", skip={"bfloat16": "no bf16 here"})
    result = _common.run_case_checked(device, "bfloat16", reference_case())
    assert result == {
        "device": "cuda:0",
        "dtype": "bfloat16",
        "device_name": None,
        "status": "skip",
        "detail": "no bf16 here",
    }


def test_unmatched_devices_are_errors() -> None:
    results = _common.unmatched_device_results("torch", ["cpu", "cuda"], ["cpu"])
    assert [(r["device"], r["status"]) for r in results] == [("cuda", "error")]
    assert results[0]["detail"] == "torch sees no device matching 'cuda' (it sees: cpu)"


def test_protocol_constants_match_runner() -> None:
    assert _common.PROGRESS_PREFIX == runner.PROGRESS_PREFIX
    assert _common.DEVICES_ENV == runner.DEVICES_ENV
    assert _common.THREADS_ENV == runner.THREADS_ENV
