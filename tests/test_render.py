"""Colour rules and aligned tables for every human renderer."""

from __future__ import annotations

import io

import pytest

from compataudit.render import Style, strip_ansi, table, use_color


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
