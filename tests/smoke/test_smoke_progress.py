"""The live progress display: in place on a terminal, silent otherwise."""

from __future__ import annotations

import io
import re
import threading
import time

import pytest

from compataudit import lifecycle
from compataudit.smoke.progress import HEADING, SmokeProgress

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


def drive(display: SmokeProgress, clock: Clock, *, finish: bool = True) -> None:
    display.start(["torch", "jax"])
    display("torch", "importing")
    clock.now += 1.5
    display("torch", "running on cpu (float32)")
    display("jax", "importing")
    clock.now += 0.5
    display("torch", "done")
    clock.now += 2.0
    display("jax", "failed: crash")
    if finish:
        display.finish()


def final_screen(text: str) -> list[str]:
    """What a terminal shows: apply the cursor-up moves and line clears."""
    lines: list[str] = []
    row = 0
    for token in re.split(r"(\x1b\[\d+A|\n)", text):
        if token == "\n":
            row += 1
        elif token.startswith("\x1b[") and token.endswith("A"):
            row -= int(token[2:-1])
        elif token:
            clean = ANSI.sub("", token).replace("\r", "")
            while len(lines) <= row:
                lines.append("")
            lines[row] = clean
    return [line for line in lines if line]


def test_redraws_in_place_on_a_terminal() -> None:
    stream, clock = Terminal(), Clock()
    display = SmokeProgress(stream, clock=clock)
    drive(display, clock, finish=False)
    assert final_screen(stream.getvalue()) == [
        HEADING,
        "torch       done (2.0 s)",
        "jax         failed: crash (4.0 s)",
    ]
    assert "\x1b[3A" in stream.getvalue()  # moved up over its own three lines
    assert "\x1b[32m" in stream.getvalue() and "\x1b[31m" in stream.getvalue()
    display.finish()  # the report that follows has every result: the live lines go
    assert final_screen(stream.getvalue()) == []


def test_kernels_killed_after_ctrl_c_are_stopped_not_crashed(monkeypatch: pytest.MonkeyPatch) -> None:
    stream, clock = Terminal(), Clock()
    display = SmokeProgress(stream, clock=clock)
    display.start(["torch", "jax"])
    display("torch", "done")
    monkeypatch.setattr(lifecycle, "stopping", threading.Event())
    lifecycle.stopping.set()
    display("jax", "failed: crash")  # what the runner reports for a kernel our signal handler killed
    screen = final_screen(stream.getvalue())
    assert screen[1:] == ["torch       done (0.0 s)", "jax         stopped (0.0 s)"]
    display.start(["keras"])
    display.finish()  # no report follows an interrupt: the lines stay, unfinished ones stopped
    assert final_screen(stream.getvalue())[1:] == [*screen[1:], "keras       stopped (0.0 s)"]


def test_no_color_keeps_redraw_but_drops_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream, clock = Terminal(), Clock()
    drive(SmokeProgress(stream, clock=clock), clock)
    out = stream.getvalue()
    assert "\x1b[3A" in out
    assert not re.search(r"\x1b\[\d*m", out)


def test_dumb_terminal_gets_one_line_per_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    stream, clock = Terminal(), Clock()
    drive(SmokeProgress(stream, clock=clock), clock)
    lines = stream.getvalue().splitlines()
    assert "\x1b" not in stream.getvalue()
    assert lines[0] == HEADING and lines[-1] == "smoke: jax         failed: crash (4.0 s)"
    assert "smoke: torch       running on cpu (float32) (1.5 s)" in lines


@pytest.mark.parametrize(
    ("stream", "enabled"), [(io.StringIO(), None), (io.StringIO(), True), (Terminal(), False)]
)
def test_silent_when_not_a_terminal_or_disabled(stream: io.StringIO, enabled: bool | None) -> None:
    clock = Clock()
    display = SmokeProgress(stream, enabled=enabled, clock=clock)
    drive(display, clock)
    assert stream.getvalue() == ""
    assert display.enabled is False


class ClosedTerminal(Terminal):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


class BrokenTerminal(Terminal):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_closed_stream_counts_as_not_a_terminal() -> None:
    assert SmokeProgress(ClosedTerminal()).enabled is False


def test_a_stream_that_breaks_turns_the_display_off() -> None:
    clock = Clock()
    display = SmokeProgress(BrokenTerminal(), clock=clock)
    drive(display, clock)  # no exception
    assert display.enabled is False


def test_concurrent_updates_from_kernel_threads() -> None:
    stream = Terminal()
    display = SmokeProgress(stream)
    names = [f"fw{i}" for i in range(8)]
    display.start(names)

    def report(name: str) -> None:
        for state in ("importing", "running on cpu (float32)", "done"):
            display(name, state)

    threads = [threading.Thread(target=report, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    screen = final_screen(stream.getvalue())
    assert len(screen) == 9 and all(" done (" in line for line in screen[1:])
    display.finish()


def test_elapsed_time_keeps_moving_while_a_kernel_imports() -> None:
    stream = Terminal()
    display = SmokeProgress(stream)
    display("torch", "importing")
    time.sleep(0.8)  # longer than one tick
    display.finish()
    assert stream.getvalue().count("\x1b[2A") >= 3  # the ticker redrew (finish adds two moves)
    assert display._ticker is not None and not display._ticker.is_alive()
