"""Every process compataudit starts, and how each one ends — including on Ctrl-C.

One registry for the probes' commands and the smoke kernels: each runs in its
own session (process group) so that a kill reaches whatever it started. While
kernels run, compataudit is the Linux *child subreaper*, so a helper that a
framework moved into a session of its own (``setsid``) is re-parented to us
when its parent dies, and found (``/proc``) and killed with the rest. SIGINT,
SIGTERM and SIGHUP kill everything still running, then end the run with
128 + the signal number (130, 143, 129). Waits after a SIGKILL are bounded: a
process stuck in the kernel (a wedged driver, state D) is reported, not awaited.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

KILL_WAIT = 3.0  # seconds a SIGKILLed process gets to disappear before it counts as stuck
HANDLED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
_PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>

_lock = threading.RLock()
# Set when a signal ends the run: kernels killed from here on were stopped, not crashed.
stopping = threading.Event()
_running: dict[int, subprocess.Popen[bytes]] = {}
_subreaper_depth = 0


class Interrupted(KeyboardInterrupt):
    """A handled signal ended the run; ``exit_code`` is 128 + its number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(signal_name(signum))


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    stderr: int | IO[Any] | None = subprocess.PIPE,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new session and remember it until :func:`stop`.

    The registry lock is held across the fork so that a sweep for orphans never
    mistakes a process being started for one left behind.
    """
    with _lock:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=dict(env) if env is not None else None,
            start_new_session=True,  # its own process group: one kill reaches all of it
        )
        _running[proc.pid] = proc
    return proc


def stop(proc: subprocess.Popen[bytes], wait: float = KILL_WAIT) -> bool:
    """SIGKILL ``proc``'s group and any orphans it left to us; False if ``proc`` will not die.

    Safe on a process that has already exited (its helpers may still run).
    """
    _kill_group(proc.pid)
    dead = _wait(proc, wait)
    with _lock:
        if dead:
            _running.pop(proc.pid, None)
        if _subreaper_depth:
            _kill_orphans(wait)
    return dead


def _kill_group(pid: int) -> None:
    killpg = getattr(os, "killpg", None)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if killpg is not None:
            killpg(pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups
            os.kill(pid, signal.SIGKILL)


def _wait(proc: subprocess.Popen[bytes], wait: float) -> bool:
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        return False
    return True


def children_of(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from ``/proc``; empty where there is none)."""
    found: list[int] = []
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return found
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile, or not ours to read
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry.name))  # zombies too: they are ours to collect
    return found


def _reap(pid: int) -> bool:
    """Collect an exited child that no Popen owns; True once it is gone."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


def _kill_orphans(wait: float) -> list[int]:
    """Kill our children that no registered Popen owns (re-parented helpers); the stuck ones.

    Repeats, because killing one orphan re-parents its own children to us.
    """
    deadline = time.monotonic() + wait
    while True:
        orphans = [pid for pid in children_of(os.getpid()) if pid not in _running]
        if not orphans:
            return []
        for pid in orphans:
            _kill_group(pid)  # it may lead a session of its own
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        while orphans and time.monotonic() < deadline:
            orphans = [pid for pid in orphans if not _reap(pid)]
            if orphans:
                time.sleep(0.01)
        if orphans or time.monotonic() >= deadline:
            return orphans


def stop_all(wait: float = 1.0) -> list[int]:
    """Kill every process still registered, and orphans; the pids that would not die."""
    with _lock:
        procs = list(_running.values())
        for proc in procs:
            _kill_group(proc.pid)
        stuck = [proc.pid for proc in procs if not _wait(proc, wait)]
        for proc in procs:
            if proc.pid not in stuck:
                _running.pop(proc.pid, None)
        return stuck + _kill_orphans(wait)


@contextlib.contextmanager
def subreaper() -> Iterator[bool]:
    """Be the child subreaper while the block runs (Linux); yields whether that worked."""
    global _subreaper_depth
    active = _set_subreaper(True) if _subreaper_depth == 0 else True
    with _lock:
        _subreaper_depth += 1
    try:
        yield active
    finally:
        with _lock:
            _subreaper_depth -= 1
            if _subreaper_depth == 0:
                _kill_orphans(KILL_WAIT)
                _set_subreaper(False)


def _set_subreaper(on: bool) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def install_signal_handlers() -> None:
    """SIGINT, SIGTERM, SIGHUP: kill every started process, then raise :class:`Interrupted`."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in HANDLED_SIGNALS:
        number = getattr(signal, name, None)
        if number is None:
            continue  # SIGHUP does not exist on Windows
        with contextlib.suppress(OSError, ValueError):
            if signal.getsignal(number) is signal.SIG_IGN and name != "SIGINT":
                continue  # started under nohup: keep ignoring it, as the user asked
            signal.signal(number, _on_signal)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Stop more signals from interrupting the clean-up itself.
    for name in HANDLED_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(OSError, ValueError):
                signal.signal(number, signal.SIG_IGN)
    stopping.set()
    stop_all()
    raise Interrupted(signum)
