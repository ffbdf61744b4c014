"""Small pieces every command shares: error handling, output files, colour.

Kept free of typer so that tests and other modules can use it cheaply.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, NoReturn, TypeVar

from compataudit.errors import CompatAuditError

T = TypeVar("T")

EXIT_OK = 0
EXIT_FINDINGS = 1
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


def write_output(text: str, path: str | None, *, stream: IO[str] | None = None) -> None:
    """Write ``text`` to ``path`` atomically, or to stdout when ``path`` is None or ``-``."""
    if path is None or path == "-":
        out = stream or sys.stdout
        out.write(text if text.endswith("\n") or not text else text + "\n")
        out.flush()
        return
    target = Path(path).expanduser()
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise CompatAuditError(f"cannot write {path}: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    except OSError as exc:
        raise CompatAuditError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CompatAuditError(f"cannot write {path}: {exc.strerror or exc}") from None


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


def read_text_input(path: str, what: str) -> str:
    """The text of a file the user named (``-`` is stdin); InputError when unreadable."""
    if path == "-":
        return sys.stdin.read()
    p = Path(path).expanduser()
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CompatAuditError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise CompatAuditError(f"{what} {path}: is a directory") from None
    except UnicodeDecodeError:
        raise CompatAuditError(f"{what} {path}: not UTF-8 text") from None
    except OSError as exc:
        raise CompatAuditError(f"{what} {path}: {exc.strerror or exc}") from None
