"""Reading the files a user names and writing the files we produce.

Below the CLI on purpose: snapshots, requirement lists and what-if inputs are read
here by the modules that parse them, and every command writes its output through
:func:`write_output` (atomic: a reader never sees half a report).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import IO

from compataudit.errors import CompatAuditError


def read_text_input(path: str, what: str) -> str:
    """The text of a file the user named (``-`` is stdin); CompatAuditError when unreadable."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
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
