"""How human output looks: colour, aligned tables, one severity palette.

Every text renderer (reports, lint, explain, diff, fleet, matrices, the smoke
progress display) styles and aligns through here, so colour rules and column
layout live in one place. Standard library only: cheap to import.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from compataudit.model import Environment

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36"}
# The colour of each severity ("error", "warning", "info") wherever one is shown.
SEVERITY_COLOR = {"error": "red", "warning": "yellow", "info": "blue"}
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Style:
    """``s(text, "bold", "red")``: ANSI-styled text, or the text unchanged when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"


def strip_ansi(text: str) -> str:
    """``text`` without ANSI escape sequences (colour codes, terminal titles)."""
    return _ANSI.sub("", text)


def use_color(stream: IO[str] | None = None) -> bool:
    """Colour only on a terminal, never with NO_COLOR set; FORCE_COLOR forces it."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    s = stream or sys.stdout
    try:
        return s.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def table(
    rows: Sequence[Sequence[str]],
    *,
    header: Sequence[str] | None = None,
    indent: str = "",
    gap: str = "  ",
    max_pad: int | None = None,
) -> list[str]:
    """Left-aligned columns, widths from the visible text; with ``header``, a dashed rule
    under it. ``max_pad`` caps how far a column is padded (a longer cell still shows whole)."""
    all_rows = [[str(c) for c in r] for r in ([header] if header is not None else []) + list(rows)]
    if not all_rows:
        return []
    columns = max(map(len, all_rows))
    widths = [max(len(strip_ansi(r[i])) if i < len(r) else 0 for r in all_rows) for i in range(columns)]
    if max_pad is not None:
        widths = [min(max_pad, w) for w in widths]
    if header is not None:
        all_rows.insert(1, ["-" * w for w in widths])
    out = []
    for row in all_rows:
        cells = [cell + " " * (widths[i] - len(strip_ansi(cell))) for i, cell in enumerate(row)]
        out.append((indent + gap.join(cells)).rstrip())
    return out


# The first word of a shell command inside a fix ("...: pip install ..."); such a command is
# printed whole on its own line, never wrapped, so it can be copied as it is.
COMMAND_WORDS = frozenset(
    {
        "pip",
        "pip3",
        "python",
        "python3",
        "uv",
        "conda",
        "mamba",
        "export",
        "unset",
        "sudo",
        "apt-get",
        "nvidia-smi",
        "docker",
        "rm",
        "poetry",
        "pipx",
    }
)
_CLAUSE = re.compile(r"(?<=[:;]) (?=\S)")


def is_command(text: str) -> bool:
    """Whether ``text`` is a shell command (its first word is a known command)."""
    first = text.lstrip().split(" ", 1)[0].strip("\"'`")
    return first in COMMAND_WORDS


def split_commands(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` as (prose, commands): clauses after ``: `` or ``; `` that are commands
    come out whole; the prose keeps its words (``Upgrade ..., or install ...:``)."""
    prose: list[str] = []
    commands: list[str] = []
    for clause in _CLAUSE.split(text.strip()):
        if is_command(clause):
            commands.append(clause.removesuffix(";"))  # "a; b" prints one command a line
        else:
            prose.append(clause)
    return " ".join(prose), tuple(commands)


def terminal_width(stream: IO[str] | None = None) -> int | None:
    """How wide prose may run: ``COLUMNS`` when set, else the width of the terminal
    ``stream`` is; None (no wrapping) when it is not a terminal or there is no stream
    (output to a file): a pipe or a file gets whole lines."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if stream is None:
        return None
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    import shutil

    return shutil.get_terminal_size().columns


def wrap(text: str, width: int | None, *, first: str = "", indent: str = "") -> list[str]:
    """``first + text`` wrapped to ``width`` with ``indent`` before every later line.

    Never breaks inside a word, a URL or an option (``--index-url``); without a width
    (output is not a terminal) the text stays on one line.
    """
    if width is None or len(strip_ansi(first)) + len(text) <= width:
        return [first + text]
    import textwrap

    room = max(20, width - len(indent))
    first_room = max(20, width - len(strip_ansi(first)))
    # a `quoted command` is one word: split over two lines it no longer copies whole
    text = _QUOTED.sub(lambda m: m.group(0).replace(" ", _GLUE), text)
    lines = textwrap.wrap(text, width=first_room, break_long_words=False, break_on_hyphens=False)
    if not lines:
        return [first]
    rest = textwrap.wrap(" ".join(lines[1:]), width=room, break_long_words=False, break_on_hyphens=False)
    return [(first + lines[0]).replace(_GLUE, " "), *(indent + line.replace(_GLUE, " ") for line in rest)]


_QUOTED = re.compile(r"`[^`\n]+`")
_GLUE = "\x00"  # a space textwrap must not break at; never in sanitised text


def fix_lines(fix: str, width: int | None, *, first: str, indent: str) -> list[str]:
    """A fix for people: its prose wrapped, each command it contains whole on its own line."""
    prose, commands = split_commands(fix)
    if not prose:  # the fix is one command: right after the label
        return [first + commands[0], *(indent + c for c in commands[1:])]
    return [*wrap(prose, width, first=first, indent=indent), *(indent + c for c in commands)]


def describe_target(env: Environment) -> str | None:
    """``the venv environment /path (named by VIRTUAL_ENV)``; None when compataudit's own
    Python was audited. ``--env`` goes unsaid: the user just typed it."""
    target = env.target
    if target is None:
        return None
    via = "" if target.selected_by == "--env" else f" (named by {target.selected_by})"
    return f"the {target.kind} environment {target.path}{via}"


def describe_stack(env: Environment) -> tuple[str, str] | None:
    """What ``-r`` audited, in words, and what the installer would change (layered); None without -r."""
    stack = env.stack
    if stack is None:
        return None
    files = ", ".join(stack.files)
    py = f"Python {env.python.version}" if env.python.version else "Python unknown"
    text = {
        "image": f"Auditing the image {files} builds ({py}; none of this machine's packages; "
        "GPU and driver: this machine's)",
        "lock": f"Auditing the environment {files} builds, alone ({py}; none of this machine's packages)",
        "fresh": f"Auditing a fresh environment with what {files} installs ({py}; none of this "
        "machine's packages; --onto-current layers it onto this environment instead)",
        "layered": f"Auditing {stack.onto or 'this environment'} after installing {files} into it "
        "(--onto-current)",
    }.get(stack.mode, f"Auditing {files}")
    return text, "; ".join(stack.changed)
