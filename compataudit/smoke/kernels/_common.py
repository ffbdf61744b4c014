"""What every smoke kernel shares: inputs, the float64 reference, checks, output.

The kernel scripts run standalone (``python torch_conv.py``) in the user's
environment, so this module imports only the standard library and numpy (every
framework depends on numpy) and never compataudit itself. The reference is a
plain numpy float64 convolution, independent of the framework under test: a
framework whose conv is wrong in every precision still fails.

Protocol with the runner: progress lines on stderr start with
:data:`PROGRESS_PREFIX`; the result is exactly one JSON object on one stdout
line, followed by ``os._exit(0)`` (a framework's interpreter teardown costs
more than the whole kernel).
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PROGRESS_PREFIX = "[compataudit-smoke] "
DEVICES_ENV = "COMPATAUDIT_SMOKE_DEVICES"  # comma-separated filter, set by the runner
THREADS_ENV = "COMPATAUDIT_SMOKE_THREADS"  # intra-op thread cap while kernels share the CPU
SEED = 20_240_917

# Tiny shapes: import dominates the run, compute should stay in milliseconds.
BATCH, IN_CH, OUT_CH, SIZE, KSIZE = 2, 3, 8, 16, 3
PAD = KSIZE // 2  # "same" padding, stride 1

TOLERANCE = {"float32": 1e-4, "tf32": 1e-3, "float16": 1e-2, "bfloat16": 1e-2}
WARMUP_RUNS, TIMED_RUNS = 1, 5

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Device:
    """One device a framework sees, as the kernel will address it."""

    name: str  # compataudit's name: "cpu", "cuda:0", "mps", "gpu:0"
    handle: Any = None  # what the framework needs to place work there
    device_name: str | None = None  # what the framework calls it ("NVIDIA H100 80GB HBM3")
    tf32: bool = False  # float32 convolutions may run in TF32 here
    dtypes: tuple[str, ...] = ("float32",)
    skip: dict[str, str] = field(default_factory=dict)  # dtype -> why it is not run


@dataclass(frozen=True)
class CaseOutput:
    """What a kernel computed for one (device, dtype): NCHW / OIHW float64 arrays."""

    y: np.ndarray
    dx: np.ndarray
    dw: np.ndarray
    forward_ms: float
    backward_ms: float


def progress(state: str) -> None:
    """Tell the runner what the kernel is doing now (one stderr line)."""
    sys.stderr.write(f"{PROGRESS_PREFIX}{state}\n")
    sys.stderr.flush()


def cpu_name() -> str | None:
    """The CPU model (Linux ``/proc/cpuinfo``), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip() or None
    except OSError:
        pass
    return platform.processor() or None


def thread_limit() -> int | None:
    """The intra-op thread count the runner asked for, or None to leave the default."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def accelerator_dtypes() -> tuple[str, ...]:
    return ("float32", "float16", "bfloat16")


def device_selected(name: str, wanted: Sequence[str]) -> bool:
    """Whether device ``name`` passes the ``--device`` filter ``wanted`` (empty: all).

    An entry matches exactly (``cuda:1``), by kind (``cuda`` matches ``cuda:0``),
    and ``gpu`` matches every accelerator (``cuda:0``, ``mps``, ``gpu:0``).
    """
    if not wanted:
        return True
    kind = name.split(":", 1)[0]
    for item in wanted:
        item = item.strip().lower()
        if item in (name, kind) or (item == "gpu" and kind != "cpu"):
            return True
        if item.startswith("gpu:") and kind != "cpu" and name.split(":", 1)[-1] == item[4:]:
            return True
    return False


def jax_device_label(platform_name: str, platform_version: str, index: int) -> str:
    """compataudit's name for a JAX device: ``cpu``, ``cuda:0``, ``rocm:0``, ``tpu:0``..."""
    platform_name = platform_name.lower()
    if platform_name == "cpu":
        return "cpu"
    if platform_name in ("gpu", "cuda", "rocm"):
        version = platform_version.lower()
        if platform_name == "cuda" or "cuda" in version:
            return f"cuda:{index}"
        if platform_name == "rocm" or "rocm" in version:
            return f"rocm:{index}"
        return f"gpu:{index}"
    return f"{platform_name}:{index}"


def wanted_devices() -> list[str]:
    return [d for d in os.environ.get(DEVICES_ENV, "").split(",") if d.strip()]


def make_inputs(seed: int = SEED) -> Arrays:
    """Seeded normal x (NCHW), weight (OIHW) and upstream gradient g: never zeros."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, IN_CH, SIZE, SIZE))
    w = rng.standard_normal((OUT_CH, IN_CH, KSIZE, KSIZE)) / math.sqrt(IN_CH * KSIZE * KSIZE)
    g = rng.standard_normal((BATCH, OUT_CH, SIZE, SIZE))
    return x, w, g


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


def rel_error(out: np.ndarray, ref: np.ndarray) -> float:
    """||out - ref|| / ||ref||; inf when ``out`` holds NaN/inf or has the wrong shape."""
    out = np.asarray(out, dtype=np.float64)
    if out.shape != ref.shape or not np.all(np.isfinite(out)):
        return math.inf
    denom = float(np.linalg.norm(ref))
    return float(np.linalg.norm(out - ref)) / denom if denom else math.inf


def tolerance(dtype: str, tf32: bool) -> float:
    if dtype == "float32" and tf32:
        return TOLERANCE["tf32"]
    return TOLERANCE[dtype]


def median_ms(step: Callable[[], object], runs: int = TIMED_RUNS) -> float:
    """Median wall time of ``step`` (which must synchronise the device) after a warm-up."""
    for _ in range(WARMUP_RUNS):
        step()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000.0)
    return round(statistics.median(times), 4)


def last_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


RunCase = Callable[[Device, str, np.ndarray, np.ndarray, np.ndarray], CaseOutput]


def run_case_checked(device: Device, dtype: str, run_case: RunCase) -> dict[str, Any]:
    """Run one (device, dtype) case and judge it against the reference."""
    base: dict[str, Any] = {
        "device": device.name,
        "dtype": dtype,
        "device_name": device.device_name,
    }
    if dtype in device.skip:
        return {**base, "status": "skip", "detail": device.skip[dtype]}
    x, w, g = (round_to(dtype, a) for a in make_inputs())
    try:
        out = run_case(device, dtype, x, w, g)
    except Exception as exc:  # any framework error is this case's result
        traceback.print_exc(file=sys.stderr)
        return {**base, "status": "error", "detail": last_line(exc)}
    refs = reference_conv(x, w, g)
    errors = {
        "output": rel_error(out.y, refs[0]),
        "grad_input": rel_error(out.dx, refs[1]),
        "grad_weight": rel_error(out.dw, refs[2]),
    }
    worst = max(errors.values())
    limit = tolerance(dtype, device.tf32)
    passed = worst <= limit  # inf and NaN never pass
    parts = ", ".join(f"{k} {v:.1e}" for k, v in errors.items())
    detail = f"relative error {parts}; tolerance {limit:.0e}"
    if device.tf32 and dtype == "float32":
        detail += " (TF32 may be in use)"
    return {
        **base,
        "status": "pass" if passed else "fail",
        "forward_ms": out.forward_ms,
        "backward_ms": out.backward_ms,
        "max_rel_error": worst if math.isfinite(worst) else None,
        "detail": detail if math.isfinite(worst) else f"non-finite or misshapen result; {detail}",
        "errors": {k: (v if math.isfinite(v) else None) for k, v in errors.items()},
    }


def run_all(
    framework: str,
    version: str | None,
    runtime: dict[str, str],
    devices: Iterable[Device],
    run_case: RunCase,
) -> dict[str, Any]:
    """Every selected (device, dtype) case of one framework, as the JSON payload."""
    wanted = wanted_devices()
    devices = list(devices)
    results = []
    for device in devices:
        if not device_selected(device.name, wanted):
            continue
        for dtype in device.dtypes:
            progress(f"running on {device.name} ({dtype})")
            results.append(run_case_checked(device, dtype, run_case))
    results += unmatched_device_results(framework, wanted, [d.name for d in devices])
    return {"framework": framework, "version": version, "runtime": runtime, "results": results}


def unmatched_device_results(
    framework: str, wanted: Sequence[str], seen: Sequence[str]
) -> list[dict[str, Any]]:
    """An ``error`` for each requested device the framework does not see.

    Asking for ``--device cuda`` and getting a CPU-only framework is exactly the
    silent fallback this tool exists to catch.
    """
    missing = []
    for item in wanted:
        if not any(device_selected(name, [item]) for name in seen):
            sees = ", ".join(seen) or "none"
            detail = f"{framework} sees no device matching {item.strip()!r} (it sees: {sees})"
            missing.append(
                {
                    "device": item.strip().lower(),
                    "dtype": "float32",
                    "status": "error",
                    "detail": detail,
                }
            )
    return missing


def emit(payload: dict[str, Any]) -> None:
    """Print the one result line and leave at once, skipping the framework's teardown."""
    sys.stdout.write(json.dumps(payload, allow_nan=False) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
