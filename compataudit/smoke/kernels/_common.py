"""What every smoke kernel shares: inputs, the float64 reference, checks, output.

The kernel scripts run standalone (``python torch_conv.py``) in the user's
environment, so this module imports only the standard library and never
compataudit itself. The reference is a float64 convolution independent of the
framework under test (a framework whose conv is wrong in every precision still
fails): numpy's (``_npref``) when numpy imports (TensorFlow, Keras and JAX
depend on it), else the pure-Python one (``_pyref``; torch does not need numpy).
``_npref`` is imported only when asked for, so this module works without numpy.

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
import random
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:
    from . import _pyref
else:  # run as a script: the kernels folder is sys.path[0]
    import _pyref

PROGRESS_PREFIX = "[compataudit-smoke] "
DEVICES_ENV = "COMPATAUDIT_SMOKE_DEVICES"  # comma-separated filter, set by the runner
THREADS_ENV = "COMPATAUDIT_SMOKE_THREADS"  # intra-op thread cap while kernels share the CPU
SEED = 20_240_917

# Tiny shapes: import dominates the run, compute should stay in milliseconds.
BATCH, IN_CH, OUT_CH, SIZE, KSIZE = 2, 3, 8, 16, 3
PAD = KSIZE // 2  # "same" padding, stride 1

TOLERANCE = {"float32": 1e-4, "tf32": 1e-3, "float16": 1e-2, "bfloat16": 1e-2}
WARMUP_RUNS, TIMED_RUNS = 1, 5


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
    """What a kernel computed for one (device, dtype), NCHW / OIHW in float64.

    The arrays are numpy arrays, or nested lists of floats (``Tensor.tolist()``):
    either is judged by either reference.
    """

    y: Any
    dx: Any
    dw: Any
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


def make_grids(seed: int = SEED) -> _pyref.Grids:
    """Seeded normal x (NCHW), weight (OIHW) and upstream gradient g as nested lists.

    Drawn with the standard library, so the inputs are the same whichever
    reference judges them.
    """
    rng = random.Random(seed)
    x = _pyref.normal_grid(rng, (BATCH, IN_CH, SIZE, SIZE))
    w = _pyref.normal_grid(rng, (OUT_CH, IN_CH, KSIZE, KSIZE), 1.0 / math.sqrt(IN_CH * KSIZE * KSIZE))
    g = _pyref.normal_grid(rng, (BATCH, OUT_CH, SIZE, SIZE))
    return x, w, g


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


# (device, dtype, x, w, g) -> outputs; x, w, g come in the reference's array type.
RunCase = Callable[[Device, str, Any, Any, Any], CaseOutput]


@dataclass(frozen=True)
class Reference:
    """The float64 truth a kernel is judged against: array type, rounding, conv, error.

    ``name`` goes into the result's ``runtime`` so a report says what judged it.
    Build one with :func:`numpy_reference`, :func:`python_reference` or
    :func:`available_reference`.
    """

    name: str
    to_array: Callable[[_pyref.Grid], Any]
    round_to: Callable[[str, Any], Any]
    conv: Callable[[Any, Any, Any], tuple[Any, Any, Any]]
    rel_error: Callable[[Any, Any], float]
    # dtype -> (y, dx, dw): inputs depend only on the dtype, so compute them once.
    _truth: dict[str, tuple[Any, Any, Any]] = field(default_factory=dict, repr=False, compare=False)

    def inputs(self, dtype: str) -> tuple[Any, Any, Any]:
        """Fresh x, w, g rounded to ``dtype`` (a kernel may keep or alter them)."""
        x, w, g = (self.round_to(dtype, self.to_array(a)) for a in make_grids())
        return x, w, g

    def truth(self, dtype: str) -> tuple[Any, Any, Any]:
        """The float64 y, dx, dw for :meth:`inputs` of ``dtype``."""
        if dtype not in self._truth:
            self._truth[dtype] = self.conv(*self.inputs(dtype))
        return self._truth[dtype]


NUMPY_REFERENCE = "numpy float64"
PYTHON_REFERENCE = "pure Python float64"


def numpy_reference() -> Reference:
    """The numpy reference; raises ImportError where numpy cannot be imported."""
    # Imported here, not at the top: the torch kernel must run without numpy.
    if TYPE_CHECKING or __package__:
        from . import _npref
    else:
        import _npref

    return Reference(
        NUMPY_REFERENCE, _npref.to_array, _npref.round_to, _npref.reference_conv, _npref.rel_error
    )


def python_reference(why: str | None = None) -> Reference:
    """The standard-library reference; ``why`` (e.g. "numpy not installed") goes in its name."""
    name = f"{PYTHON_REFERENCE} ({why})" if why else PYTHON_REFERENCE
    # Grids are already the array type; round_to copies them, so no aliasing.
    return Reference(name, lambda grid: grid, _pyref.round_to, _pyref.reference_conv, _pyref.rel_error)


def available_reference() -> Reference:
    """numpy's reference where numpy imports, else the pure-Python one saying why."""
    try:
        return numpy_reference()
    except Exception as exc:  # no numpy, or a broken one: torch works without it
        if isinstance(exc, ModuleNotFoundError) and (exc.name or "").partition(".")[0] == "numpy":
            return python_reference("numpy not installed")
        return python_reference(f"numpy import failed: {last_line(exc)}")


def run_case_checked(
    device: Device, dtype: str, run_case: RunCase, reference: Reference | None = None
) -> dict[str, Any]:
    """Run one (device, dtype) case and judge it against ``reference`` (default numpy)."""
    base: dict[str, Any] = {
        "device": device.name,
        "dtype": dtype,
        "device_name": device.device_name,
    }
    if dtype in device.skip:
        return {**base, "status": "skip", "detail": device.skip[dtype]}
    reference = reference or numpy_reference()
    x, w, g = reference.inputs(dtype)
    try:
        out = run_case(device, dtype, x, w, g)
    except Exception as exc:  # any framework error is this case's result
        traceback.print_exc(file=sys.stderr)
        return {**base, "status": "error", "detail": last_line(exc)}
    refs = reference.truth(dtype)
    errors = {
        "output": reference.rel_error(out.y, refs[0]),
        "grad_input": reference.rel_error(out.dx, refs[1]),
        "grad_weight": reference.rel_error(out.dw, refs[2]),
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
    reference: Reference | None = None,
) -> dict[str, Any]:
    """Every selected (device, dtype) case of one framework, as the JSON payload.

    ``reference`` defaults to numpy's; its name is added to ``runtime``.
    """
    reference = reference or numpy_reference()
    runtime = {**runtime, "reference": reference.name}
    wanted = wanted_devices()
    devices = list(devices)
    results = []
    for device in devices:
        if not device_selected(device.name, wanted):
            continue
        for dtype in device.dtypes:
            progress(f"running on {device.name} ({dtype})")
            results.append(run_case_checked(device, dtype, run_case, reference))
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
