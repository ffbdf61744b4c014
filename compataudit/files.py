"""Reading the files a user names and writing the files we produce.

Below the CLI on purpose: snapshots, requirement lists and what-if inputs are read
here by the modules that parse them, and every command writes its output through
:func:`write_output` (atomic: a reader never sees half a report).
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO

from compataudit.errors import CompatAuditError


def read_text_input(path: str, what: str, *, errors: str = "strict") -> str:
    """The text of a file the user named (``-`` is stdin); CompatAuditError when unreadable.

    ``errors="replace"`` takes any bytes (a pasted traceback in Latin-1): text for
    people, not data, where one odd byte must not lose the rest.
    """
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        try:
            return buffer.read().decode("utf-8", errors) if buffer is not None else sys.stdin.read()
        except UnicodeDecodeError:
            raise CompatAuditError(f"{what} (stdin): not UTF-8 text") from None
    try:
        return Path(path).expanduser().read_bytes().decode("utf-8", errors)
    except UnicodeDecodeError:
        raise CompatAuditError(f"{what} {path}: not UTF-8 text") from None
    except OSError as exc:
        raise _unreadable(path, what, exc) from None


def read_bytes_input(path: str, what: str) -> bytes:
    """The bytes of a file the user named; CompatAuditError saying why it cannot be read."""
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise _unreadable(path, what, exc) from None


def _unreadable(path: str, what: str, exc: OSError) -> CompatAuditError:
    if isinstance(exc, FileNotFoundError):
        return CompatAuditError(f"{what} {path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return CompatAuditError(f"{what} {path}: is a directory")
    return CompatAuditError(f"{what} {path}: {exc.strerror or exc}")


def write_output(text: str, path: str | None, *, stream: IO[str] | None = None) -> None:
    """Write ``text`` to ``path`` atomically, or to stdout when ``path`` is None or ``-``.

    A file gets the mode a plain ``open()`` would give it (the umask), or keeps the mode
    of the file it replaces, so that another user can still collect it; its data is on
    disk before the rename; the temporary file never outlives a failure of any kind.
    """
    if not text.endswith("\n") and text:
        text += "\n"
    if path is None or path == "-":
        out = stream or sys.stdout
        out.write(encodable(text, out))
        out.flush()
        return
    target = Path(path).expanduser()
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise CompatAuditError(f"cannot write {path}: directory {directory} does not exist")
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    except OSError as exc:
        raise CompatAuditError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:  # also Ctrl-C, or a signal, in the middle of it
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CompatAuditError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise


def _umask() -> int:
    current = os.umask(0o022)  # the only way to read it is to set it
    os.umask(current)
    return current


# What a terminal that cannot show them gets instead (LANG=C, a cp1252 console).
ASCII_MARKERS = str.maketrans(
    {
        "✗": "x",
        "✔": "ok",
        "✓": "ok",
        "→": "->",
        "←": "<-",
        "·": "-",
        "≤": "<=",
        "≥": ">=",
        "—": "--",
        "–": "-",
        "…": "...",
        "‖": "|",
        "•": "*",
        "↳": "->",
        "─": "-",
        "│": "|",
    }
)


def encodable(text: str, stream: IO[str]) -> str:
    """``text`` as ``stream`` can encode it: ASCII markers for the symbols, ``?`` for the rest."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return text.translate(ASCII_MARKERS).encode(encoding, "replace").decode(encoding)
    except LookupError:
        pass
    return text
