"""A live progress display for the smoke kernels, one line per framework, on stderr.

On a terminal the block of lines is redrawn in place with ANSI cursor moves;
colour follows NO_COLOR (https://no-color.org). Where the output is not a
terminal, or the caller turns it off (``--format json``), it prints nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TextIO

from compataudit import lifecycle
from compataudit.render import Style

CLEAR_LINE, UP = "\x1b[2K", "\x1b[{n}A"
TICK_SECONDS = 0.5
HEADING = "Smoke kernels: conv2d forward + backward (Ctrl-C stops them)"


class SmokeProgress:
    """``progress(framework, state)`` callback for :func:`~compataudit.smoke.runner.run_smoke`.

    Call :meth:`start` with the frameworks about to run, pass the instance as
    ``progress``, then call :meth:`finish`. Thread-safe: the runner reports from
    one thread per kernel.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        color: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        interactive = _is_tty(self.stream)
        self.enabled = interactive if enabled is None else enabled and interactive
        # In place redraws need a real terminal; a dumb one gets one line per change.
        self.redraw = self.enabled and os.environ.get("TERM", "") != "dumb"
        if color is None:
            color = self.redraw and not os.environ.get("NO_COLOR")
        self.color = color
        self._clock = clock
        self._lock = threading.Lock()
        self._order: list[str] = []
        self._states: dict[str, str] = {}
        self._started: dict[str, float] = {}
        self._ended: dict[str, float] = {}
        self._drawn = 0
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def start(self, frameworks: Sequence[str]) -> None:
        """Show a line for each framework about to run."""
        with self._lock:
            now = self._clock()
            for name in frameworks:
                if name not in self._states:
                    self._order.append(name)
                    self._states[name] = "waiting"
                    self._started[name] = now
            self._draw(changed=list(frameworks))

    def __call__(self, framework: str, state: str) -> None:
        with self._lock:
            if framework not in self._states:
                self._order.append(framework)
                self._started[framework] = self._clock()
            if lifecycle.stopping.is_set() and not _is_final(self._states.get(framework, "")):
                state = "stopped"  # killed by our own clean-up after Ctrl-C, not a crash
            self._states[framework] = state
            if _is_final(state):
                self._ended[framework] = self._clock()
            self._draw(changed=[framework])

    def finish(self) -> None:
        """Take the live lines away: the report that follows shows every result."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            if self.enabled and self.redraw and lifecycle.stopping.is_set():
                # interrupted: no report follows, so the lines stay, showing what was stopped
                for name in self._order:
                    if not _is_final(self._states[name]):
                        self._states[name] = "stopped"
                self._draw(changed=[])
            elif self.enabled and self.redraw and self._drawn:
                n = self._drawn
                with contextlib.suppress(OSError, ValueError):
                    self.stream.write(UP.format(n=n) + f"\r{CLEAR_LINE}\n" * n + UP.format(n=n))
                    self.stream.flush()
                self._drawn = 0

    def line(self, framework: str) -> str:
        """The text shown for ``framework``: name, state and elapsed time."""
        state = self._states.get(framework, "waiting")
        end = self._ended.get(framework, self._clock())
        elapsed = end - self._started.get(framework, end)
        text = f"{framework:<11} {state}"
        if state != "waiting":
            text += f" ({elapsed:.1f} s)"
        style = Style(self.color)
        if state == "done":
            return style(text, "green")
        if state == "stopped":
            return style(text, "yellow")
        if state.startswith("failed"):
            return style(text, "red")
        return style(text, "dim") if state == "waiting" else text

    def _draw(self, changed: Sequence[str]) -> None:
        if not self.enabled:
            return
        try:
            self._write(changed)
        except (OSError, ValueError):  # the terminal went away: stop drawing, keep running
            self.enabled = False
        if self.redraw and self._ticker is None and not self._stop.is_set():
            # Keep the elapsed times moving during a long import.
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                if self.enabled:
                    self._draw(changed=[])

    def _write(self, changed: Sequence[str]) -> None:
        if not self.redraw:
            if not self._drawn:
                self.stream.write(f"{HEADING}\n")
                self._drawn = 1
            for name in changed:
                self.stream.write(f"smoke: {self.line(name)}\n")
            self.stream.flush()
            return
        out = [UP.format(n=self._drawn)] if self._drawn else []
        heading = Style(self.color)(HEADING, "bold")
        out += [f"\r{CLEAR_LINE}{line}\n" for line in (heading, *map(self.line, self._order))]
        self.stream.write("".join(out))
        self.stream.flush()
        self._drawn = len(self._order) + 1


def _is_final(state: str) -> bool:
    return state in ("done", "stopped") or state.startswith("failed")


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or not a real file
        return False
