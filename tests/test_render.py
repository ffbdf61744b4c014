"""Colour rules and aligned tables for every human renderer."""

from __future__ import annotations

import io

import pytest

from compataudit.render import (
    Style,
    fix_lines,
    split_commands,
    strip_ansi,
    table,
    terminal_width,
    use_color,
    wrap,
)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"TERM": "dumb"}, True, False),
    ],
)
def test_use_color(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, expected: bool) -> None:
    for var in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(var, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream = _Tty() if tty else io.StringIO()
    assert use_color(stream) is expected


def test_table_aligns_on_visible_text_and_rules_the_header() -> None:
    red = Style(True)("bad", "red")
    lines = table([["torch", red], ["torchvision", "ok"]], header=("package", "state"))
    assert [strip_ansi(line) for line in lines] == [
        "package      state",
        "-----------  -----",
        "torch        bad",
        "torchvision  ok",
    ]


def test_table_caps_padding_but_keeps_long_cells_whole() -> None:
    lines = table([["x" * 10, "a"], ["y", "b"]], max_pad=4, indent="  ")
    assert lines == ["  xxxxxxxxxx  a", "  y     b"]


def test_style_is_a_no_op_without_colour() -> None:
    assert Style(False)("text", "bold") == "text"
    assert strip_ansi(Style(True)("text", "bold", "red")) == "text"


FIX = (
    "Upgrade the NVIDIA driver to >= 550.54.14, or install a build this driver runs (CUDA <= 11.8): "
    "pip install torch==2.5.1 torchvision==0.20.1 --index-url https://download.pytorch.org/whl/cu118"
)


def test_split_commands_keeps_each_command_whole() -> None:
    prose, commands = split_commands(FIX)
    assert prose.endswith("(CUDA <= 11.8):")
    assert commands == (
        "pip install torch==2.5.1 torchvision==0.20.1 --index-url https://download.pytorch.org/whl/cu118",
    )
    assert split_commands('pip install "jax==0.7.0"') == ("", ('pip install "jax==0.7.0"',))
    assert split_commands("Upgrade the NVIDIA driver to >= 550.54.14") == (
        "Upgrade the NVIDIA driver to >= 550.54.14",
        (),
    )


def test_fix_lines_wrap_prose_and_never_break_a_command() -> None:
    lines = fix_lines(FIX, 80, first="     fix: ", indent="          ")
    command = (
        "pip install torch==2.5.1 torchvision==0.20.1 --index-url https://download.pytorch.org/whl/cu118"
    )
    assert lines[-1] == "          " + command
    assert all(len(line) <= 80 for line in lines[:-1]) and len(lines) == 3
    # no width (a pipe): one line of prose, the command still on its own line
    assert fix_lines(FIX, None, first="fix: ", indent="  ") == [
        "fix: Upgrade the NVIDIA driver to >= 550.54.14, or install a build this driver runs (CUDA <= 11.8):",
        "  " + command,
    ]


def test_wrap_never_splits_a_url_or_option() -> None:
    text = "see https://download.pytorch.org/whl/cu118/torch-2.5.1-cp311-linux_x86_64.whl --index-url x"
    lines = wrap(text, 30, first="", indent="  ")
    assert "  https://download.pytorch.org/whl/cu118/torch-2.5.1-cp311-linux_x86_64.whl" in lines
    assert any(line.strip().startswith("--index-url") for line in lines)


def test_wrap_keeps_a_quoted_command_on_one_line() -> None:
    text = "Reinstall the extension built for your torch and CUDA (mmcv: `mim install mmcv`, not mmcv-lite)."
    lines = wrap(text, 80, first="   fix: ", indent="        ")
    assert any("`mim install mmcv`" in line for line in lines), lines
    assert " ".join(line.strip() for line in lines) == "fix: " + text


def test_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert terminal_width(io.StringIO()) == 80  # COLUMNS wins, even into a pipe
    assert terminal_width(None) == 80
    monkeypatch.delenv("COLUMNS")
    assert terminal_width(io.StringIO()) is None  # a pipe: whole lines
    assert terminal_width(None) is None  # a file
    assert isinstance(terminal_width(_Tty()), int)
