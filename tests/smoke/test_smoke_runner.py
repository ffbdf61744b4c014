"""The runner against fake framework packages: every fault becomes the right status."""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

import pytest

from compataudit.errors import UsageError
from compataudit.model import (
    SmokeStatus,
)
from compataudit.smoke import runner
from compataudit.smoke.runner import run_smoke
from tests.assertions import only
from tests.envs import environment
from tests.processes import all_gone
from tests.smoke.fakes import TORCH_ENV, fake_path


@pytest.mark.parametrize(
    ("fake", "extra", "status", "detail"),
    [
        ("crash", {}, SmokeStatus.CRASH, "killed by SIGSEGV"),
        (
            "crash",
            {"FAKE_SIGNAL": "SIGABRT"},
            SmokeStatus.CRASH,
            "killed by SIGABRT",
        ),
        (
            "importerror",
            {},
            SmokeStatus.ERROR,
            "ImportError: libcudart.so.12: cannot open shared object file",
        ),
        ("garbage", {}, SmokeStatus.ERROR, "the kernel printed malformed JSON"),
    ],
)
def test_process_faults(fake: str, extra: dict[str, str], status: SmokeStatus, detail: str) -> None:
    result = only(
        run_smoke(TORCH_ENV, frameworks=["torch"], timeout=30, extra_env={**fake_path(fake), **extra})
    )
    assert (result.framework, result.device, result.dtype, result.status) == (
        "torch",
        "all",
        "all",
        status,
    )
    assert result.detail is not None and result.detail.startswith(detail)
    assert result.detail.endswith(" (while importing)")  # where the kernel was when it failed


@pytest.mark.parametrize(
    ("mode", "status", "error_range"),
    [
        ("correct", SmokeStatus.PASS, (0.0, 1e-6)),
        ("wrong", SmokeStatus.FAIL, (5e-3, 2e-2)),
        ("nan", SmokeStatus.FAIL, None),
    ],
)
def test_numbers_are_judged(mode: str, status: SmokeStatus, error_range: tuple[float, float] | None) -> None:
    states: list[tuple[str, str]] = []
    extra = {**fake_path("numpy_torch"), "FAKE_TORCH_MODE": mode}
    result = only(
        run_smoke(TORCH_ENV, timeout=30, extra_env=extra, progress=lambda f, s: states.append((f, s)))
    )
    assert (result.framework, result.device, result.dtype, result.status) == (
        "torch",
        "cpu",
        "float32",
        status,
    )
    assert result.framework_version == "2.13.0+fake"
    assert dict(result.runtime) == {"torch": "2.13.0+fake", "cuda": "none", "reference": "numpy float64"}
    assert result.forward_ms is not None and result.forward_ms > 0
    assert result.backward_ms is not None and result.backward_ms > 0
    if error_range is None:
        assert result.max_rel_error is None and "non-finite" in (result.detail or "")
    else:
        assert result.max_rel_error is not None and error_range[0] <= result.max_rel_error <= error_range[1]
    assert states[0] == ("torch", "importing")
    assert ("torch", "running on cpu (float32)") in states
    assert states[-1] == (
        "torch",
        "done" if status is SmokeStatus.PASS else f"failed: {status.value}",
    )


def test_error_after_import_names_the_step() -> None:
    extra = {**fake_path("numpy_torch"), "FAKE_TORCH_MODE": "cuda_init_error"}
    result = only(run_smoke(TORCH_ENV, timeout=30, extra_env=extra))
    assert (result.device, result.status) == ("all", SmokeStatus.ERROR)
    assert result.detail is not None
    assert result.detail.startswith("RuntimeError: Unexpected error from cudaGetDeviceCount().")
    assert result.detail.endswith(
        "Error 804: forward compatibility was attempted on non supported HW (while listing devices)"
    )


def test_device_filter_reaches_the_kernel() -> None:
    results = run_smoke(TORCH_ENV, devices=["cuda"], timeout=30, extra_env=fake_path("numpy_torch"))
    assert [(r.device, r.status) for r in results] == [("cuda", SmokeStatus.ERROR)]
    assert results[0].detail == "torch sees no device matching 'cuda' (it sees: cpu)"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see processes")
def test_hang_times_out_and_the_whole_group_is_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    extra = {**fake_path("hang"), "FAKE_HANG_PIDFILE": str(pidfile)}
    result = only(run_smoke(TORCH_ENV, timeout=3, extra_env=extra))
    assert result.status is SmokeStatus.TIMEOUT
    assert result.detail == "no result after 3 s (while importing)"
    pids = [int(p) for p in pidfile.read_text().split()]
    assert len(pids) == 2  # the kernel and the helper it started
    assert all_gone(pids)


def test_faults_run_in_parallel_and_do_not_affect_each_other() -> None:
    # The fake torch crashes; jax's kernel runs beside it and is judged on its own.
    env = environment(("torch", "2.13.0"), ("jax", "0.10.2"), ("jaxlib", "0.10.2"))
    results = run_smoke(
        env, frameworks=["torch", "jax"], devices=["cpu"], timeout=60, extra_env=fake_path("crash")
    )
    by_framework = {r.framework: r for r in results}
    assert by_framework["torch"].status is SmokeStatus.CRASH
    try:
        importlib.metadata.version("jaxlib")
        expected = SmokeStatus.PASS
    except importlib.metadata.PackageNotFoundError:
        expected = SmokeStatus.ERROR  # ModuleNotFoundError, reported, not raised
    assert by_framework["jax"].status is expected, by_framework["jax"].detail


@pytest.mark.parametrize(
    ("packages", "origin", "pinned", "expected"),
    [
        ((("torch", "2.13.0"),), "probe", False, {"torch": "torch"}),
        (
            (("tensorflow-cpu", "2.21.0"), ("keras", "3.15.1")),
            "probe",
            False,
            {"tensorflow": "tensorflow-cpu", "keras": "keras"},
        ),
        (
            (("tensorflow-macos", "2.16.2"), ("keras", "2.15.0")),
            "probe",
            False,
            {"tensorflow": "tensorflow-macos"},
        ),
        ((("tf-nightly", "2.22.0.dev20261101"),), "probe", False, {"tensorflow": "tf-nightly"}),
        ((("jax", "0.10.2"),), "probe", False, {}),  # no jaxlib: jax cannot run
        ((("jax", "0.10.2"), ("jaxlib", "0.10.2")), "probe", False, {"jax": "jax"}),
        ((("keras", "not-a-version"),), "probe", False, {}),
        ((("torch", "2.13.0"),), "snapshot", False, {}),  # not this machine
        ((("torch", "2.13.0"),), "probe", True, {}),  # a what-if pin is not installed
    ],
)
def test_framework_distribution(
    packages: tuple[tuple[str, str], ...], origin: str, pinned: bool, expected: dict[str, str]
) -> None:
    env = environment(*packages, origin=origin, pinned=pinned)
    found = {fw: runner.framework_distribution(env, fw) for fw in runner.FRAMEWORKS}
    assert {fw: dist for fw, dist in found.items() if dist} == expected


def test_requested_framework_not_installed_is_skipped() -> None:
    results = run_smoke(environment(), frameworks=["PyTorch", "tf", "keras", "jax"])
    assert [(r.framework, r.status) for r in results] == [
        ("torch", SmokeStatus.SKIP),
        ("tensorflow", SmokeStatus.SKIP),
        ("keras", SmokeStatus.SKIP),
        ("jax", SmokeStatus.SKIP),
    ]
    assert run_smoke(environment()) == []


def test_unknown_framework_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown framework 'mxnet'"):
        run_smoke(TORCH_ENV, frameworks=["mxnet"])


def test_broken_progress_callback_does_not_stop_the_run() -> None:
    def explode(framework: str, state: str) -> None:
        raise RuntimeError("display broke")

    result = only(run_smoke(TORCH_ENV, timeout=30, extra_env=fake_path("numpy_torch"), progress=explode))
    assert result.status is SmokeStatus.PASS


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (['{"results": []}'], None),
        (["noise", '{"results": [], "version": "1"}', "more noise"], None),
        (['{"results": [}'], "the kernel printed malformed JSON"),
        (['{"framework": "torch"}'], "the kernel's JSON has no results list"),
        (["[1, 2]", "plain text"], None),
    ],
)
def test_parse_payload(lines: list[str], problem: str | None) -> None:
    payload, found_problem = runner._parse_payload(lines)
    if problem is None:
        assert found_problem is None
        assert payload is None or isinstance(payload["results"], list)
    else:
        assert payload is None and found_problem is not None and found_problem.startswith(problem)


@pytest.mark.parametrize(
    "item",
    [["not a dict"], [{"status": "exploded"}]],
)
def test_payload_with_bad_items_is_rejected(item: list[object]) -> None:
    assert runner._results_from_payload("torch", {"results": item}) is None


def test_payload_fields_are_sanitised() -> None:
    payload = {
        "version": "2.13.0",
        "runtime": {"cuda": 12.4},
        "results": [
            {
                "device": "cuda:0",
                "dtype": "float16",
                "status": "pass",
                "forward_ms": "fast",
                "max_rel_error": float("nan"),
            }
        ],
    }
    (result,) = runner._results_from_payload("torch", payload) or []
    assert (result.device, result.dtype, result.status) == ("cuda:0", "float16", SmokeStatus.PASS)
    assert result.forward_ms is None and result.max_rel_error is None
    assert result.runtime == (("cuda", "12.4"),)


@pytest.mark.parametrize(("n_kernels", "threads"), [(1, None), (3, "1")])
def test_kernel_environment(n_kernels: int, threads: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv(runner.THREADS_ENV, "7")
    env = runner.kernel_environment(n_kernels, ["cpu", "cuda:1"], {"EXTRA": "yes"})
    assert env["KERAS_BACKEND"] == "jax"  # the user's own environment is kept
    assert env["EXTRA"] == "yes"
    assert env[runner.DEVICES_ENV] == "cpu,cuda:1"
    assert env.get(runner.THREADS_ENV) == threads
    assert env["TF_CPP_MIN_LOG_LEVEL"] == os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")
