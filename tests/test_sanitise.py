"""The output sanitiser: no control sequence reaches a terminal, no line reaches a CI runner."""

from __future__ import annotations

import json

import pytest

from compataudit.render import Style
from compataudit.sanitise import clean, clean_markdown, clean_output


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.5.1", "2.5.1"),
        (None, ""),
        (3, "3"),
        ("a\nb", "a\\nb"),
        ("a\r\nb\tc", "a\\r\\nb\\tc"),
        ("\x1b]52;c;aGk=\x07", "\\u001b]52;c;aGk=\\u0007"),  # OSC 52: the clipboard
        ("\x1b[2J", "\\u001b[2J"),
        ("\x9b2J", "\\u009b2J"),  # the one-byte C1 CSI
        ("\x7f", "\\u007f"),
        ("abc\u202edef", "abc\\u202edef"),  # a bidi override reorders what the terminal shows
        ("x ##vso[task.setvariable variable=a]b", "x #\\u0023vso[task.setvariable variable=a]b"),
        ("café — ok ✓", "café — ok ✓"),  # printable non-ASCII stays as it is
    ],
)
def test_clean_makes_one_visible_line(value: object, expected: str) -> None:
    assert clean(value) == expected


def test_a_cleaned_value_never_starts_a_workflow_command() -> None:
    lines = f"torch {clean('2.5.1' + chr(10) + '::add-mask::secret')}".splitlines()
    assert lines == ["torch 2.5.1\\n::add-mask::secret"]


def test_clean_markdown_escapes_raw_html_but_keeps_ranges_readable() -> None:
    assert clean_markdown("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)>"
    assert clean_markdown("driver >= 550.54.14") == "driver >= 550.54.14"
    assert clean_markdown("<!-- hidden -->") == "&lt;!-- hidden -->"


def test_clean_output_keeps_newlines_and_tabs_and_escapes_the_rest() -> None:
    text = "a\tb\nc\x1b[2Jd\x07\n"
    assert clean_output(text) == "a\tb\nc\\u001b[2Jd\\u0007\n"


@pytest.mark.parametrize(
    "line", ["::add-mask::secret", "  ::error::x", "##[group]x", "\t::set-output name=a::b"]
)
def test_clean_output_neutralises_lines_a_runner_reads_as_commands(line: str) -> None:
    out = clean_output(f"ok\n{line}\n")
    assert all(not ln.lstrip().startswith(("::", "##[")) for ln in out.splitlines())
    assert out.splitlines()[1].lstrip().startswith("\\u00")  # visibly escaped, not dropped


def test_clean_output_keeps_our_workflow_commands_for_the_github_format() -> None:
    text = "::error title=x::message\ncompataudit: 1 error(s)\n"
    assert clean_output(text, commands=True) == text


def test_clean_output_neutralises_vso_anywhere_even_in_github_format() -> None:
    out = clean_output("::notice::see ##vso[task.complete]x\n", commands=True)
    assert "##vso[" not in out and out.startswith("::notice::")


def test_clean_output_keeps_colour_only_when_asked_and_only_colour() -> None:
    red = Style(True)("error", "red")
    assert clean_output(red, color=True) == red
    assert "\x1b" not in clean_output(red)
    hostile = red + "\x1b]0;title\x07\x1b[2J"
    assert clean_output(hostile, color=True) == red + "\\u001b]0;title\\u0007\\u001b[2J"


def test_a_json_document_means_the_same_after_clean_output() -> None:
    value = {"v": "2.5.1\x9b\u202e ##vso[x]", "n": "\x1b[2J\n::add-mask::s"}
    for ensure_ascii in (True, False):
        text = json.dumps(value, indent=2, ensure_ascii=ensure_ascii)
        out = clean_output(text)
        assert json.loads(out) == value
        assert "##vso[" not in out and "\x9b" not in out and "\u202e" not in out
