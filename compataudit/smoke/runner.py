"""Run the smoke kernels: one isolated subprocess per framework, all in parallel.

Each kernel is a standalone script run with this interpreter and the user's
environment, in its own session (process group) so that a hard timeout can
kill everything it started. A kernel reports on one stdout JSON line; whatever
goes wrong around it (a signal, a hang, an import failure, garbage output)
becomes a :class:`~compataudit.model.SmokeResult` here, never an exception.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from compataudit import lifecycle
from compataudit.distributions import TENSORFLOW
from compataudit.errors import UsageError
from compataudit.model import Environment, SmokeResult, SmokeStatus

KERNELS_DIR = Path(__file__).resolve().parent / "kernels"
KERNEL_SCRIPTS = {
    "torch": "torch_conv.py",
    "tensorflow": "tf_conv.py",
    "keras": "keras_conv.py",
    "jax": "jax_conv.py",
}
FRAMEWORKS = tuple(KERNEL_SCRIPTS)
ALIASES = {"pytorch": "torch", "tf": "tensorflow", "tensorflow-cpu": "tensorflow", "jaxlib": "jax"}
# Must match compataudit/smoke/kernels/_common.py (the kernels cannot import us).
PROGRESS_PREFIX = "[compataudit-smoke] "
DEVICES_ENV = "COMPATAUDIT_SMOKE_DEVICES"
THREADS_ENV = "COMPATAUDIT_SMOKE_THREADS"
ALL = "all"  # device/dtype of a result about the whole process (import failed, ...)
TAIL_LINES = 40
DRAIN_SECONDS = 5.0  # how long to wait for pipes after the process is gone

Progress = Callable[[str, str], None]


def canonical_framework(name: str) -> str:
    """``PyTorch`` -> ``torch``; raises :class:`UsageError` for an unknown framework."""
    key = name.strip().lower().replace("_", "-")
    key = ALIASES.get(key, key)
    if key not in KERNEL_SCRIPTS:
        raise UsageError(f"unknown framework {name!r}: choose from {', '.join(FRAMEWORKS)}")
    return key


_DEVICE_RE = re.compile(r"^(cpu|cuda|cuda:\d+|mps)$")


def canonical_device(name: str) -> str:
    """``CUDA:1`` -> ``cuda:1``; raises :class:`UsageError` for anything but cpu, cuda, cuda:N, mps."""
    key = name.strip().lower()
    if not _DEVICE_RE.match(key):
        raise UsageError(f"unknown device {name!r}: choose from cpu, cuda, cuda:N (e.g. cuda:1), mps")
    return key


def framework_distribution(env: Environment, framework: str) -> str | None:
    """The installed distribution that provides ``framework`` in ``env``, or None.

    Keras counts only from 3.0 (Keras 2 runs inside TensorFlow and is exercised by
    its kernel); JAX needs both jax and jaxlib. What-if pins are not installed here.
    """
    if env.origin != "probe":
        return None
    names = {
        "torch": ("torch",),
        "tensorflow": TENSORFLOW,
        "keras": ("keras",),
        "jax": ("jax",),
    }[framework]
    if framework == "jax" and not _installed(env, "jaxlib"):
        return None
    for name in names:
        if not _installed(env, name):
            continue
        if framework == "keras" and _major(env, name) < 3:
            continue
        return name
    return None


def _installed(env: Environment, name: str) -> bool:
    pkg = env.package(name)
    return pkg is not None and not pkg.pinned


def _major(env: Environment, name: str) -> int:
    pkg = env.package(name)
    head = pkg.version.split(".", 1)[0] if pkg is not None else ""
    return int(head) if head.isdigit() else -1


@dataclass
class _Run:
    """One kernel subprocess and what has been read from it so far."""

    framework: str
    proc: subprocess.Popen[bytes]
    deadline: float
    started: float
    progress: Progress | None
    stdout: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    state: str = ""
    readers: list[threading.Thread] = field(default_factory=list)

    def report(self, state: str) -> None:
        if state == self.state and state == "importing":
            return  # the runner already said so when it started the kernel
        self.state = state
        _notify(self.progress, self.framework, state)


def _notify(progress: Progress | None, framework: str, state: str) -> None:
    if progress is None:
        return
    with contextlib.suppress(Exception):  # a broken display must not stop the kernels
        progress(framework, state)


def _read_lines(stream: IO[bytes], sink: deque[str], on_progress: Callable[[str], None] | None) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if on_progress is not None and line.startswith(PROGRESS_PREFIX):
            on_progress(line[len(PROGRESS_PREFIX) :].strip())
        elif line.strip():
            sink.append(line)
    stream.close()


def kernel_environment(
    n_kernels: int, devices: Sequence[str] | None, extra_env: Mapping[str, str] | None
) -> dict[str, str]:
    """The environment a kernel runs with: the user's own, plus the runner's knobs."""
    env = dict(os.environ)
    env.update(extra_env or {})
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's start-up banner is noise here
    env["PYTHONUNBUFFERED"] = "1"  # progress lines must arrive as they happen
    env[DEVICES_ENV] = ",".join(devices or ())
    if n_kernels > 1:
        # Several kernels share the CPU: multi-threaded ops would stall on each other.
        env[THREADS_ENV] = "1"
    else:
        env.pop(THREADS_ENV, None)
    return env


def _spawn(
    framework: str, env: dict[str, str], timeout: float, progress: Progress | None, python: str
) -> _Run | SmokeResult:
    script = KERNELS_DIR / KERNEL_SCRIPTS[framework]
    started = time.monotonic()
    try:
        proc = lifecycle.spawn([python, str(script)], env=env)
    except (OSError, ValueError) as exc:
        _notify(progress, framework, "failed: error")
        return _process_result(framework, SmokeStatus.ERROR, f"could not start the kernel: {exc}")
    run = _Run(framework, proc, started + timeout, started, progress)
    run.report("importing")
    assert proc.stdout is not None and proc.stderr is not None
    for stream, sink, hook in (
        (proc.stdout, run.stdout, None),
        (proc.stderr, run.stderr, run.report),
    ):
        reader = threading.Thread(target=_read_lines, args=(stream, sink, hook), daemon=True)
        reader.start()
        run.readers.append(reader)
    return run


def _finish(run: _Run, timeout: float) -> list[SmokeResult]:
    timed_out = False
    try:
        run.proc.wait(timeout=max(0.0, run.deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        timed_out = True
    # Also after a normal exit: helpers the kernel started may outlive it, holding
    # our pipes and the GPU. The wait after the kill is bounded (a wedged driver).
    died = lifecycle.stop(run.proc)
    for reader in run.readers:
        reader.join(DRAIN_SECONDS)
    if timed_out:
        detail = f"no result after {timeout:g} s"
        if not died:
            detail += f"; process {run.proc.pid} survived SIGKILL (stuck in the driver?)"
        results = [_in_flight_result(run, SmokeStatus.TIMEOUT, detail)]
    else:
        results = _results_from_output(run, run.proc.returncode or 0)
    failed = [r.status.value for r in results if r.status.failed]
    run.report(f"failed: {failed[0]}" if failed else "done")
    return results


def _in_flight_result(run: _Run, status: SmokeStatus, detail: str) -> SmokeResult:
    """A result for the (device, dtype) the kernel was busy with, from its last progress line."""
    device = dtype = ALL
    state = run.state or "starting"
    if state.startswith("running on "):
        where = state[len("running on ") :].split()
        device = where[0] if where else ALL
        if len(where) > 1:
            dtype = where[1].strip("()")
    detail += f" (while {state})"
    return _process_result(run.framework, status, detail, device=device, dtype=dtype)


def _process_result(
    framework: str, status: SmokeStatus, detail: str, *, device: str = ALL, dtype: str = ALL
) -> SmokeResult:
    return SmokeResult(framework=framework, device=device, status=status, dtype=dtype, detail=detail)


def _results_from_output(run: _Run, returncode: int) -> list[SmokeResult]:
    payload, problem = _parse_payload(list(run.stdout))
    if payload is not None:
        results = _results_from_payload(run.framework, payload)
        if results is not None:
            return results
        problem = "the kernel's result line does not have the expected fields"
    if returncode < 0:
        return [_in_flight_result(run, SmokeStatus.CRASH, f"killed by {lifecycle.signal_name(-returncode)}")]
    if returncode != 0:
        last = run.stderr[-1] if run.stderr else f"exit status {returncode}, no error message"
        return [_in_flight_result(run, SmokeStatus.ERROR, last)]
    return [_in_flight_result(run, SmokeStatus.ERROR, problem or "the kernel printed no result")]


def _parse_payload(lines: list[str]) -> tuple[dict[str, Any] | None, str | None]:
    """The kernel's JSON line (the last stdout line that is a JSON object)."""
    problem = None
    for line in reversed(lines):
        text = line.strip()
        if not text.startswith("{"):
            continue
        try:
            data = json.loads(text)
        except ValueError as exc:
            problem = f"the kernel printed malformed JSON ({exc})"
            continue
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            return data, None
        problem = "the kernel's JSON has no results list"
    return None, problem


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _results_from_payload(framework: str, payload: dict[str, Any]) -> list[SmokeResult] | None:
    runtime_raw = payload.get("runtime")
    runtime = tuple(
        (str(k), str(v)) for k, v in (runtime_raw.items() if isinstance(runtime_raw, dict) else ())
    )
    version = _text(payload.get("version"))
    results = []
    for item in payload["results"]:
        if not isinstance(item, dict):
            return None
        try:
            status = SmokeStatus(item.get("status"))
        except ValueError:
            return None
        results.append(
            SmokeResult(
                framework=framework,
                device=_text(item.get("device")) or ALL,
                status=status,
                dtype=_text(item.get("dtype")) or "float32",
                forward_ms=_number(item.get("forward_ms")),
                backward_ms=_number(item.get("backward_ms")),
                max_rel_error=_number(item.get("max_rel_error")),
                detail=_text(item.get("detail")),
                device_name=_text(item.get("device_name")),
                framework_version=version,
                runtime=runtime,
            )
        )
    if not results:
        return [
            SmokeResult(
                framework=framework,
                device=ALL,
                status=SmokeStatus.SKIP,
                dtype=ALL,
                detail="no device matched the --device filter",
                framework_version=version,
                runtime=runtime,
            )
        ]
    return results


def run_smoke(
    env: Environment,
    *,
    frameworks: Sequence[str] | None = None,
    devices: Sequence[str] | None = None,
    timeout: float = 120.0,
    progress: Progress | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> list[SmokeResult]:
    """Run the conv2d smoke kernel of every installed framework, in parallel.

    ``frameworks`` narrows the set (a requested framework that is not installed
    gives a ``skip`` result); ``devices`` is passed to the kernels as a filter
    (``cpu``, ``cuda``, ``cuda:1``, ``mps``; anything else is a UsageError).
    ``progress(framework, state)`` is
    called from worker threads as kernels advance. Never raises for anything a
    kernel does; raises :class:`UsageError` for an unknown framework name.
    """
    requested = [canonical_framework(name) for name in frameworks] if frameworks else None
    devices = [canonical_device(name) for name in devices] if devices else None
    skipped: list[SmokeResult] = []
    to_run: list[str] = []
    for framework in requested or FRAMEWORKS:
        if framework in to_run:
            continue
        if framework_distribution(env, framework) is not None:
            to_run.append(framework)
        elif requested is not None:
            skipped.append(_process_result(framework, SmokeStatus.SKIP, "not installed in this environment"))
    kernel_env = kernel_environment(len(to_run), devices, extra_env)
    # --env (or VIRTUAL_ENV / CONDA_PREFIX): the kernels run with that environment's interpreter.
    python = env.python.executable if env.target is not None and env.python.executable else sys.executable
    # TensorFlow's kernel imports Keras as well (tf.keras is Keras 3 from TensorFlow 2.16 on)
    with lifecycle.subreaper(), _scratch_keras_home(kernel_env, bool({"keras", "tensorflow"} & set(to_run))):
        return _run_all(to_run, kernel_env, timeout, progress, python) + skipped


@contextlib.contextmanager
def _scratch_keras_home(kernel_env: dict[str, str], keras_runs: bool) -> Iterator[None]:
    """Keep Keras from writing ``~/.keras/keras.json`` (we never change the user's environment).

    Keras 3 writes its default configuration on import when none exists; where the user has
    one it only reads it, so their backend and dtype settings stay in force. Without one,
    the kernel gets a scratch KERAS_HOME that is removed afterwards.
    """
    if not keras_runs or "KERAS_HOME" in kernel_env:
        yield
        return
    home = Path(kernel_env.get("HOME") or Path.home())
    if (home / ".keras" / "keras.json").exists():
        yield
        return
    with tempfile.TemporaryDirectory(prefix="compataudit-keras-") as scratch:
        kernel_env["KERAS_HOME"] = scratch
        try:
            yield
        finally:
            del kernel_env["KERAS_HOME"]


def _run_all(
    to_run: list[str],
    kernel_env: dict[str, str],
    timeout: float,
    progress: Progress | None,
    python: str,
) -> list[SmokeResult]:
    started = [_spawn(framework, kernel_env, timeout, progress, python) for framework in to_run]
    # One waiter per kernel, so each one's end is reported when it happens.
    collected: dict[int, list[SmokeResult]] = {}

    def collect(index: int, run: _Run) -> None:
        try:
            collected[index] = _finish(run, timeout)
        except Exception as exc:  # keep the auditor alive whatever happens here
            lifecycle.stop(run.proc)
            collected[index] = [_process_result(run.framework, SmokeStatus.ERROR, f"runner fault: {exc}")]

    waiters = []
    for index, item in enumerate(started):
        if isinstance(item, SmokeResult):
            collected[index] = [item]
            continue
        waiter = threading.Thread(target=collect, args=(index, item), daemon=True)
        waiter.start()
        waiters.append(waiter)
    for waiter in waiters:
        waiter.join()
    return [result for index in range(len(started)) for result in collected.get(index, [])]
