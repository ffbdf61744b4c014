"""The README's what-if examples are run and their output compared with the page.

Every ``console`` block whose command is ``compataudit check --no-probe ...`` (a what-if
audit: the same output on every machine) is executed at 80 columns, as the README says,
so the examples cannot drift from what the tool prints.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.cli_process import run

README = Path(__file__).resolve().parents[1] / "README.md"


def _what_if_examples() -> list[tuple[list[str], str]]:
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S):
        lines = block.splitlines()
        if not lines or not lines[0].startswith("$ compataudit check ") or "--no-probe" not in lines[0]:
            continue
        command = lines[0][2:]
        rest = lines[1:]
        while command.endswith("\\"):
            command = command[:-1] + " " + rest.pop(0).strip()
        examples.append((shlex.split(command)[1:], "\n".join(rest) + "\n"))
    return examples


EXAMPLES = _what_if_examples()


def test_the_readme_has_what_if_examples() -> None:
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize(("args", "shown"), EXAMPLES, ids=[" ".join(a[3:7]) for a, _ in EXAMPLES])
def test_what_if_example_prints_what_the_readme_shows(args: list[str], shown: str) -> None:
    proc = run(*args, env={"COLUMNS": "80"})
    assert proc.stderr == ""
    assert proc.stdout == shown
