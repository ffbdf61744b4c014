"""Small pieces every command shares: one-line errors, exit codes, the JSON error document.

Kept free of typer so that tests and other modules can use it cheaply.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn, TypeVar

from compataudit.errors import CompatAuditError

T = TypeVar("T")

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``compataudit: error: message`` on stderr (one line) and exit."""
    first_line = " ".join(str(message).split("\n")[0].split())
    sys.stderr.write(f"compataudit: error: {first_line}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def guarded(
    fn: Callable[[], T],
    *,
    debug: bool = False,
    on_error: Callable[[str], None] | None = None,
) -> T:
    """Run ``fn``; turn our errors and internal faults into exit 2 with one line.

    ``on_error(message)`` runs first, e.g. to still give a JSON consumer a JSON document.
    """
    try:
        return fn()
    except CompatAuditError as exc:
        if debug:
            traceback.print_exc()
        if on_error is not None:
            on_error(str(exc))
        fail(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write("compataudit: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None
    except (SystemExit, GeneratorExit):
        raise
    except BrokenPipeError:
        # `compataudit check | head`: the reader went away; nothing to report.
        _silence_stdout()
        raise SystemExit(EXIT_OK) from None
    except Exception as exc:  # an internal fault: still one line, still exit 2
        if debug:
            traceback.print_exc()
        message = f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)"
        if on_error is not None:
            on_error(message)
        fail(message)


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
