"""The kernels' shared helpers: inputs, reference, judging, device selection."""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from compataudit.smoke import kernels, runner
from compataudit.smoke.kernels import _common, _npref, _pyref
from tests.smoke.conv_oracle import direct_conv


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
    """The definition's loops on tiny numpy arrays, for checking the vectorised reference;
    y in float64, the gradients in the dtype of what they differentiate."""
    y, dx, dw = direct_conv(x.tolist(), w.tolist(), g.tolist())
    return np.array(y), np.array(dx, dtype=x.dtype), np.array(dw, dtype=w.dtype)


def test_reference_matches_direct_loops() -> None:
    rng = np.random.default_rng(1)
    x, w, g = (
        rng.standard_normal((2, 2, 5, 4)),
        rng.standard_normal((3, 2, 3, 3)),
        rng.standard_normal((2, 3, 5, 4)),
    )
    for got, want in zip(_npref.reference_conv(x, w, g), naive_conv(x, w, g), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_inputs_are_seeded_random_and_never_zero() -> None:
    first, second = (tuple(np.array(a) for a in _common.make_grids()) for _ in range(2))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
        assert np.all(a != 0.0) and a.std() > 0.1
    assert not np.array_equal(np.array(_common.make_grids(seed=1)[0]), first[0])


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
    assert _npref.round_to(dtype, np.array([value]))[0] == rounded


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
    assert _npref.rel_error(np.array(out), np.array(ref)) == pytest.approx(expected)


@pytest.mark.parametrize("out", [[[1.0, 2.0], [3.0]], [["x", 1.0]], None, [[1.0, 2.0]]])
def test_rel_error_of_unusable_output_is_inf(out: object) -> None:
    assert _npref.rel_error(out, np.array([[1.0], [2.0]])) == math.inf


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


def listed_case(scale: float = 1.0, nan: bool = False, drop_row: bool = False) -> _common.RunCase:
    """A kernel that answers in nested lists, as the torch kernel does (``Tensor.tolist()``)."""

    def run_case(device: _common.Device, dtype: str, x: object, w: object, g: object) -> _common.CaseOutput:
        y, dx, dw = (a.tolist() for a in naive_conv(np.array(x), np.array(w), np.array(g)))
        y[0][0][0] = [v * scale for v in y[0][0][0]]
        if nan:
            dx[1][2][3][4] = math.nan
        if drop_row:
            del dw[0][0][0]
        return _common.CaseOutput(y, dx, dw, 1.0, 2.0)

    return run_case


@pytest.mark.parametrize("reference", [_common.numpy_reference, _common.python_reference])
@pytest.mark.parametrize(
    ("case", "dtype", "status"),
    [
        (listed_case(), "float32", "pass"),
        (listed_case(), "bfloat16", "pass"),
        (listed_case(scale=1.5), "float32", "fail"),
        (listed_case(nan=True), "float32", "fail"),
        (listed_case(drop_row=True), "float32", "fail"),
    ],
)
def test_either_reference_judges_listed_results(
    reference: Callable[[], _common.Reference], case: _common.RunCase, dtype: str, status: str
) -> None:
    result = _common.run_case_checked(_common.Device("cpu"), dtype, case, reference())
    assert result["status"] == status
    if status == "pass":
        assert 0.0 <= result["max_rel_error"] < 1e-12  # the case computes in float64 too
    elif result["max_rel_error"] is None:
        assert result["detail"].startswith("non-finite or misshapen result")


def test_available_reference_is_numpy_when_it_imports() -> None:
    assert _common.available_reference().name == "numpy float64"


def test_available_reference_without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now raises ModuleNotFoundError
    # Forget the imported numpy reference, so that it is imported (and fails) again.
    monkeypatch.delitem(sys.modules, _npref.__name__)
    monkeypatch.delattr(kernels, "_npref")
    reference = _common.available_reference()
    assert reference.name == "pure Python float64 (numpy not installed)"
    result = _common.run_case_checked(_common.Device("cpu"), "float32", listed_case(), reference)
    assert result["status"] == "pass"


def test_available_reference_with_a_broken_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> _common.Reference:
        raise AttributeError("module 'numpy' has no attribute 'float64'")

    monkeypatch.setattr(_common, "numpy_reference", broken)
    assert _common.available_reference().name == (
        "pure Python float64 (numpy import failed: AttributeError: module 'numpy' has no attribute 'float64')"
    )


def test_reference_truth_is_computed_once_per_dtype() -> None:
    calls: list[int] = []
    base = _common.python_reference()

    def counting_conv(x: _pyref.Grid, w: _pyref.Grid, g: _pyref.Grid) -> _pyref.Grids:
        calls.append(1)
        return _pyref.reference_conv(x, w, g)

    reference = dataclasses.replace(base, conv=counting_conv)
    for dtype in ("float32", "float16", "float32", "float16"):
        assert (
            _common.run_case_checked(_common.Device("cuda:0"), dtype, listed_case(), reference)["status"]
            == "pass"
        )
    assert len(calls) == 2


def test_run_all_names_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_common.DEVICES_ENV, "")
    devices = [_common.Device("cpu")]
    payload = _common.run_all("torch", "2.13.0", {"torch": "2.13.0"}, devices, listed_case())
    assert payload["runtime"] == {"torch": "2.13.0", "reference": "numpy float64"}
    reference = _common.python_reference("numpy not installed")
    payload = _common.run_all("torch", "2.13.0", {}, devices, listed_case(), reference)
    assert payload["runtime"] == {"reference": "pure Python float64 (numpy not installed)"}
    assert [r["status"] for r in payload["results"]] == ["pass"]


KERNELS = Path(_common.__file__).resolve().parent
REPO = Path(__file__).resolve().parents[2]
HIDE_NUMPY = REPO / "tests" / "fixtures" / "fake_frameworks" / "no_numpy"
WITHOUT_NUMPY = """
import sys
{setup}
assert "numpy" not in sys.modules
reference = _common.available_reference()
print(reference.name)
print(_common.run_case_checked(_common.Device("cpu"), "float16", lambda *a: 1 / 0, reference)["detail"])
y = reference.truth("float16")[0]
print(reference.rel_error(y, y), reference.rel_error([[[[float("nan")]]]], y))
"""


@pytest.mark.parametrize(
    "setup",
    [
        "from compataudit.smoke.kernels import _common",  # as the tests import it
        f"sys.path.insert(0, {str(KERNELS)!r}); import _common",  # as the kernel scripts do
    ],
)
def test_common_imports_and_judges_without_numpy(setup: str) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HIDE_NUMPY), str(REPO)])}
    code = WITHOUT_NUMPY.format(setup=setup)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "pure Python float64 (numpy not installed)",
        "ZeroDivisionError: division by zero",
        "0.0 inf",
    ]
