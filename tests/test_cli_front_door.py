"""The front door: help with examples everywhere, uniform -q/-v/--debug, a bare call,
a one-line summary on stderr when the report goes to a file or a machine."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.cli_process import run

COMMANDS = (
    ("check",),
    ("snapshot",),
    ("smoke",),
    ("rules",),
    ("rule",),
    ("lint",),
    ("explain",),
    ("suggest",),
    ("diff",),
    ("fleet",),
    ("matrix", "show"),
    ("matrix", "compatible"),
    ("schema",),
    ("collect",),
)
WHAT_IF = ("--no-probe", "--python", "3.11", "--pin", "torch==2.5.1+cu124", "--driver", "470.82.01")


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_examples_uniform_flags_and_clean_metavars(command: tuple[str, ...]) -> None:
    proc = run(*command, "--help", env={"COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "Examples:" in text
    for flag in ("--quiet", "-q", "--verbose", "-v", "--debug"):
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), flag
    assert not re.search(r"<(str|int|float|text)>", text)


def _command(path: tuple[str, ...]) -> Any:
    import typer.main

    from compataudit.cli.app import register_all_commands

    found: Any = typer.main.get_command(register_all_commands())
    for name in path:
        found = found.commands[name]  # a group's sub-commands, whichever click typer carries
    return found


def _epilog(command: tuple[str, ...]) -> str:
    return str(_command(command).epilog or "")


@pytest.mark.parametrize("command", [*COMMANDS, ("matrix",)], ids=" ".join)
def test_examples_never_wrap_at_80_columns(command: tuple[str, ...]) -> None:
    epilog = _epilog(command)
    assert "·" not in epilog  # one example a line, never joined into a paragraph
    written = [line.strip().split("  ")[0] for line in epilog.splitlines() if line.startswith("  ")]
    written = [cmd for cmd in written if cmd.startswith(("compataudit ", "python "))]
    assert written, "no example command"
    text = run(*command, "--help", env={"COLUMNS": "80"}).stdout
    shown = [line.strip() for line in text.splitlines()]
    for cmd in written:  # whole on one line of the 80-column help
        assert any(line == cmd or line.startswith(cmd + "  ") for line in shown), cmd
    assert max(len(line) for line in text.splitlines()) <= 80


def _help_screens() -> list[tuple[str, ...]]:
    """Every help screen: the root, each group and each command, found in the command tree."""
    import typer.main

    from compataudit.cli.app import register_all_commands

    screens: list[tuple[str, ...]] = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        screens.append(path)
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, (*path, name))

    walk(typer.main.get_command(register_all_commands()), ())
    return screens


def test_every_help_screen_is_covered() -> None:
    assert set(_help_screens()) == {(), ("matrix",), *COMMANDS}


@pytest.mark.parametrize("path", _help_screens(), ids=lambda p: " ".join(("compataudit", *p)))
def test_help_prose_keeps_its_lines_at_80_columns(path: tuple[str, ...]) -> None:
    """Past the first sentence, help keeps its own line breaks: a written line longer than
    the screen leaves a one-word orphan line behind it. Examples are indented alike."""
    import inspect

    cmd = _command(path)
    paragraphs = inspect.cleandoc(cmd.help or "").split("\n\n")[1:]
    texts = (*paragraphs, inspect.cleandoc(cmd.epilog or ""))
    written = [line for text in texts for line in text.splitlines()]
    proc = run(*path, "--help", env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    shown = proc.stdout.splitlines()
    assert max(len(line) for line in shown) <= 80
    assert "Examples:" in proc.stdout
    stripped = {line.strip() for line in shown}
    assert [line for line in written if line.strip() and line.strip() not in stripped] == []
    starts = {len(line) - len(line.lstrip()) for line in shown if line.lstrip().startswith("compataudit ")}
    assert starts == {3}, starts  # " " margin + two spaces, on every screen


def test_examples_helper_puts_long_descriptions_under_the_command() -> None:
    from compataudit.cli.kit import HELP_WIDTH, examples

    text = examples(("compataudit a", "short"), ("compataudit " + "x" * 60, "a description too long to fit"))
    assert "  compataudit a" in text and all(len(line) <= HELP_WIDTH for line in text.splitlines())
    assert "\n      a description too long to fit" in text


def test_config_help_keeps_its_brackets() -> None:
    assert "[tool.compataudit]" in run("check", "--help", env={"COLUMNS": "200"}).stdout


def test_bare_command_shows_the_help() -> None:
    proc = run()
    assert proc.returncode == 0
    assert "Usage:" in proc.stdout and "check" in proc.stdout
    assert "error" not in proc.stderr
    assert "--install-completion" in proc.stdout


def test_shell_completion_completes_commands_and_options() -> None:
    env = {
        "_COMPATAUDIT_COMPLETE": "complete_bash",
        "COMP_WORDS": "compataudit check --no-s",
        "COMP_CWORD": "2",
    }
    proc = run(env=env)
    assert proc.returncode == 0 and proc.stdout.split() == ["--no-smoke"]
    env.update(COMP_WORDS="compataudit fl", COMP_CWORD="1")
    assert run(env=env).stdout.split() == ["fleet"]


def test_output_file_gets_a_summary_line_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = run("check", *WHAT_IF, "-f", "json", "-o", str(out))
    assert proc.returncode == 1
    data = json.loads(out.read_text())
    errors = data["summary"]["errors"]
    assert (
        proc.stderr
        == f"compataudit: {errors} error{'s' * (errors != 1)}, 0 warnings, 0 info · exit 1 → {out}\n"
    )
    assert proc.stdout == ""
    quiet = run("check", *WHAT_IF, "-f", "json", "-o", str(out), "-q")
    assert quiet.stderr == ""


def test_json_to_stdout_still_gets_the_summary_on_stderr() -> None:
    proc = run("check", *WHAT_IF, "-f", "json")
    json.loads(proc.stdout)  # stdout stays pure JSON
    assert proc.stderr.startswith("compataudit: ") and proc.stderr.count("\n") == 1


def test_other_commands_say_where_they_wrote(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    proc = run("schema", "-o", str(out))
    assert proc.returncode == 0 and proc.stderr == f"compataudit: wrote {out}\n"
    assert json.loads(out.read_text())["$schema"]


def test_table_at_80_columns_keeps_the_fix_command_whole() -> None:
    proc = run("check", *WHAT_IF, "--gpu-cc", "8.6", env={"COLUMNS": "80"})
    lines = proc.stdout.splitlines()
    commands = [line.strip() for line in lines if line.strip().startswith("pip install")]
    assert commands and all("--index-url https://download.pytorch.org/whl/" in c for c in commands)
    prose = [line for line in lines if not line.strip().startswith("pip install")]
    assert all(len(line) <= 80 for line in prose), [line for line in prose if len(line) > 80]


def test_html_page_of_a_what_if_check_says_when_and_with_which_command(tmp_path: Path) -> None:
    proc = run("check", *WHAT_IF, "-f", "html", "-o", "page.html", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert re.search(r"<dt>When</dt><dd><code>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00</code>", page)
    assert "<dt>Command</dt><dd><code>compataudit check --no-probe" in page and "-o page.html" in page
