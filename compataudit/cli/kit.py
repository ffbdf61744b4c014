"""Small pieces every command shares: one-line errors, exit codes, the JSON error document.

Kept free of typer so that tests and other modules can use it cheaply.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn, TypeVar

from compataudit.errors import CompatAuditError

T = TypeVar("T")

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # SIGINT; SIGTERM gives 143 and SIGHUP 129 (128 + the signal number)

# Where the JSON error document goes when the run asked for --format json (set once
# by the entry point, before parsing, so that usage errors honour it too).
_json_errors: list[str | None] = []


def json_errors_to(output: str | None) -> None:
    """From now on, every failure also prints the JSON error document (to ``output`` or stdout)."""
    _json_errors[:] = [output]


def json_errors_off() -> None:
    _json_errors.clear()


def _emit_json_error(message: str, code: int) -> None:
    if not _json_errors:
        return
    from compataudit.files import write_output

    text = json_error_document(message, code)
    try:
        write_output(text, _json_errors[0])
    except Exception:  # the output file itself may be the problem
        with contextlib.suppress(Exception):
            write_output(text, None)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``compataudit: error: message`` on stderr (one line) and exit.

    Under ``--format json`` the error document goes to stdout (or -o) as well.
    """
    from compataudit.sanitise import clean

    first_line = clean(" ".join(str(message).split("\n")[0].split()))
    _emit_json_error(first_line, code)
    _say(f"compataudit: error: {first_line}\n")
    raise SystemExit(code)


def interrupted(exc: KeyboardInterrupt) -> NoReturn:
    """End a run that Ctrl-C or a signal stopped: one line, exit 128 + the signal number."""
    from compataudit.lifecycle import stop_all

    stuck = stop_all()  # a KeyboardInterrupt raised by Python's own handler has not done it yet
    code = getattr(exc, "exit_code", EXIT_INTERRUPTED)
    why = f"interrupted by {exc}" if str(exc) else "interrupted"
    _emit_json_error(why, code)
    _say(f"compataudit: {why}\n")
    if stuck:  # not awaited: a process in a wedged driver call ignores even SIGKILL
        _say(f"compataudit: warning: process {', '.join(map(str, stuck))} survived SIGKILL\n")
    raise SystemExit(code)


def _say(text: str) -> None:
    # After SIGHUP the terminal may be gone: never let the last words raise.
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(text)
        sys.stderr.flush()


def guarded(fn: Callable[[], T], *, debug: bool = False) -> T:
    """Run ``fn``; turn our errors and internal faults into exit 2 with one line."""
    try:
        return fn()
    except CompatAuditError as exc:
        if debug:
            traceback.print_exc()
        fail(str(exc))
    except KeyboardInterrupt as exc:
        interrupted(exc)
    except (SystemExit, GeneratorExit):
        raise
    except BrokenPipeError:
        # `compataudit check | head`: the reader went away; nothing to report.
        _silence_stdout()
        raise SystemExit(EXIT_OK) from None
    except Exception as exc:  # an internal fault: still one line, still exit 2
        if debug:
            traceback.print_exc()
        fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)")


def command_name(args: list[str]) -> str | None:
    """The sub-command a command line names (its first word that is not an option)."""
    return next((a for a in args if not a.startswith("-")), None)


# Commands whose --format takes its default from COMPATAUDIT_FORMAT.
FORMAT_ENV_COMMANDS = frozenset({"check", "smoke"})


def option_value(args: list[str], long: str, short: str) -> str | None:
    """The last value given to ``--long``/``-s`` in ``args``, read before any parser runs.

    Usage errors happen before any command runs, yet a JSON consumer must still get
    JSON; so the entry point reads --format and -o itself, tolerantly.
    """
    value = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in (long, short) and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(long + "="):
            value = arg[len(long) + 1 :]
        elif arg.startswith(short) and not arg.startswith("--") and len(arg) > len(short):
            value = arg[len(short) :].removeprefix("=")
    return value


def wants_json(args: list[str], environ: dict[str, str] | None = None) -> bool:
    """Whether this command line asked for ``--format json`` (the env default included)."""
    fmt = option_value(args, "--format", "-f")
    if fmt is None and command_name(args) in FORMAT_ENV_COMMANDS:
        fmt = (environ if environ is not None else dict(os.environ)).get("COMPATAUDIT_FORMAT")
    return (fmt or "").strip().lower() == "json"


def entry(args: list[str], run: Callable[[list[str]], None]) -> None:
    """Run a command line the way every entry point does: signals end it cleanly, and under
    ``--format json`` a failure is a JSON error document too; ``run`` parses and runs it."""
    from compataudit.lifecycle import install_signal_handlers

    install_signal_handlers()
    if wants_json(args):
        json_errors_to(option_value(args, "--output", "-o"))
    try:
        run(args)
    finally:
        json_errors_off()  # in-process callers (tests, nox) start the next run clean


def json_error_document(message: str, exit_code: int = EXIT_USAGE) -> str:
    """What ``--format json`` prints when the run fails before a report exists."""
    import json

    from compataudit import __version__

    return json.dumps(
        {
            "schema_version": 1,
            "tool": {"name": "compataudit", "version": __version__},
            "error": {"message": message, "exit_code": exit_code},
        },
        indent=2,
    )


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def note(message: str, *, quiet: bool = False) -> None:
    """One ``compataudit: message`` line on stderr (nothing under ``-q``)."""
    if not quiet:
        from compataudit.sanitise import clean

        _say(f"compataudit: {clean(message)}\n")


def emit(text: str, output: str | None, *, summary: str = "", quiet: bool = False) -> None:
    """Write ``text`` to ``output`` (stdout when None or ``-``); when it went to a file, say
    so on stderr in one line - with ``summary``, the run's outcome - unless ``quiet``."""
    from compataudit.files import write_output
    from compataudit.render import use_color

    # Our colour codes survive the output sanitiser only where colour is on (a terminal).
    write_output(text, output, color=output in (None, "-") and use_color(sys.stdout))
    if output is not None and output != "-":
        note(f"{summary} → {output}" if summary else f"wrote {output}", quiet=quiet)


HELP_WIDTH = 76  # what fits an 80-column terminal inside typer's help margins


def examples(*rows: tuple[str, str], after: str = "") -> str:
    """An ``Examples:`` help block in which no command wraps at 80 columns.

    Each row is (command, what it does). The description stands beside the command where
    both fit, else on the next line; a command that alone is wider than the help is a bug
    (:func:`tests.test_cli_front_door` checks every screen).
    """

    def inline(column: int) -> int:
        return sum(len(cmd) <= column and column + len(what) + 4 <= HELP_WIDTH for cmd, what in rows)

    # the description column that keeps the most rows on one line
    column = max(sorted({len(cmd) for cmd, _ in rows}), key=inline)
    lines = ["Examples:", ""]
    for cmd, what in rows:
        if not what:
            lines.append(f"  {cmd}")
        elif len(cmd) <= column and column + len(what) + 4 <= HELP_WIDTH:
            lines.append(f"  {cmd.ljust(column)}  {what}")
        else:
            lines += [f"  {cmd}", f"      {what}"]
    # The leading newline keeps the indentation: typer dedents an epilog (inspect.cleandoc)
    # from its second line on, so without it a block with no `after` lost its two spaces.
    text = "\n" + "\n".join(lines) + "\n"
    return text + ("\n" + _reflow(after) + "\n" if after.strip() else "")


def _reflow(text: str) -> str:
    """Fill each paragraph that has a line wider than the help: typer keeps single line
    breaks, so such a line would leave a one-word line behind it."""
    import textwrap

    width = HELP_WIDTH + 2  # the prose starts where the examples' two-space indent does
    paragraphs = text.strip("\n").split("\n\n")
    return "\n\n".join(
        textwrap.fill(" ".join(p.split()), width, break_long_words=False, break_on_hyphens=False)
        if any(len(line) > width for line in p.splitlines())
        else p  # a paragraph that fits keeps the line breaks it was written with
        for p in paragraphs
    )
