"""Reading the files a user names and writing the files we produce.

Below the CLI on purpose: snapshots, requirement lists and what-if inputs are read
here by the modules that parse them, and every command writes its output through
:func:`write_output` (atomic: a reader never sees half a report).
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import IO

from compataudit.errors import CompatAuditError

# No file a user names is bigger than this: a lock file of thousands of packages is a few
# MiB, a fleet of a thousand check reports tens; /dev/zero or a runaway pipe is not.
MAX_INPUT_BYTES = 64 * 1024 * 1024
# How long a FIFO or a pipe may take to deliver what it holds.
PIPE_TIMEOUT_S = 10.0
# A pipe (`-r <(cat requirements.txt)`) can be read only once: what it held, by path.
_pipes_read: dict[str, bytes] = {}


def read_limited(
    path: str | Path, what: str, *, limit: int = MAX_INPUT_BYTES, timeout: float | None = None
) -> bytes:
    """The bytes of one input file, bounded: a regular file up to ``limit`` bytes; a FIFO
    or a pipe read once, within ``timeout`` seconds (a second read gets the same bytes);
    a device (``/dev/zero``), a directory or a socket refused. CompatAuditError saying why."""
    name = str(path)
    if name in _pipes_read:
        return _pipes_read[name]
    try:
        fd = os.open(Path(name).expanduser(), os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise _unreadable(name, what, exc) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise CompatAuditError(f"{what} {name}: is a directory")
        if stat.S_ISREG(info.st_mode):
            if info.st_size > limit:
                raise CompatAuditError(f"{what} {name}: {info.st_size} bytes, more than the {limit} read")
            os.set_blocking(fd, True)
            data = _read_all(fd, limit, name, what)
        elif stat.S_ISFIFO(info.st_mode):
            data = _read_pipe(fd, limit, PIPE_TIMEOUT_S if timeout is None else timeout, name, what)
            _pipes_read[name] = data
        else:
            raise CompatAuditError(f"{what} {name}: not a regular file (a device or a socket)")
    except OSError as exc:
        raise _unreadable(name, what, exc) from None
    finally:
        os.close(fd)
    return data


def _read_all(fd: int, limit: int, name: str, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(fd, 1 << 20):
        size += len(chunk)
        if size > limit:  # it grew while we read it
            raise CompatAuditError(f"{what} {name}: more than the {limit} bytes read")
        chunks.append(chunk)
    return b"".join(chunks)


def _read_pipe(fd: int, limit: int, timeout: float, name: str, what: str) -> bytes:
    import select
    import time

    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            raise CompatAuditError(f"{what} {name}: a pipe that delivered no end of file in {timeout:g} s")
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            continue
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise CompatAuditError(f"{what} {name}: more than the {limit} bytes read")
        chunks.append(chunk)


# A metadata file (METADATA, RECORD, a conda-meta record) is never bigger than this.
MAX_METADATA_BYTES = 32 * 1024 * 1024


def read_regular(path: str | Path, limit: int = MAX_METADATA_BYTES, *, head: bool = False) -> bytes:
    """The bytes of a file a probe reads (distribution metadata, conda-meta records):
    OSError unless it is a regular file of at most ``limit`` bytes (``head``: its first
    ``limit`` bytes) - a FIFO nobody writes, or ``/dev/zero`` behind a link, is skipped,
    never waited on or read forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if head:
            os.set_blocking(fd, True)
            return os.read(fd, limit)
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"bigger than {limit} bytes")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > limit:
                raise OSError(errno.EFBIG, f"bigger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text_input(path: str, what: str, *, errors: str = "strict") -> str:
    """The text of a file the user named (``-`` is stdin); CompatAuditError when unreadable.

    ``errors="replace"`` takes any bytes (a pasted traceback in Latin-1): text for
    people, not data, where one odd byte must not lose the rest.
    """
    if path == "-":
        if sys.stdin is None:
            raise CompatAuditError(f"{what} (stdin): stdin is closed")
        buffer = getattr(sys.stdin, "buffer", None)
        try:
            if buffer is None:
                return str(sys.stdin.read(MAX_INPUT_BYTES))
            data = bytes(buffer.read(MAX_INPUT_BYTES + 1))
            if len(data) > MAX_INPUT_BYTES:
                raise CompatAuditError(f"{what} (stdin): more than the {MAX_INPUT_BYTES} bytes read")
            return data.decode("utf-8", errors)
        except UnicodeDecodeError:
            raise CompatAuditError(f"{what} (stdin): not UTF-8 text") from None
    try:
        return read_limited(path, what).decode("utf-8", errors)
    except UnicodeDecodeError:
        raise CompatAuditError(f"{what} {path}: not UTF-8 text") from None


def read_bytes_input(path: str, what: str) -> bytes:
    """The bytes of a file the user named; CompatAuditError saying why it cannot be read."""
    return read_limited(path, what)


def _unreadable(path: str, what: str, exc: OSError) -> CompatAuditError:
    if isinstance(exc, FileNotFoundError):
        return CompatAuditError(f"{what} {path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return CompatAuditError(f"{what} {path}: is a directory")
    return CompatAuditError(f"{what} {path}: {exc.strerror or exc}")


def write_output(
    text: str, path: str | None, *, stream: IO[str] | None = None, color: bool = False, commands: bool = False
) -> None:
    """Write ``text`` to ``path``, or to stdout when ``path`` is None or ``-``.

    Every document passes :func:`compataudit.sanitise.clean_output` first (``color``
    keeps our colour codes, ``commands`` our workflow commands). A regular file is
    replaced atomically: it gets the mode a plain ``open()`` would give it (the umask),
    or keeps the mode of the file it replaces, so that another user can still collect
    it; its data is on disk before the rename; the temporary file never outlives a
    failure of any kind (a full disk, a file-size limit). Anything else - a FIFO, a
    character device, ``/dev/stdout`` or a link into ``/proc/self/fd`` - is written
    through, never replaced. A symbolic link to a regular file stays a link.
    """
    from compataudit.sanitise import clean_output

    text = clean_output(text, color=color, commands=commands)
    if not text.endswith("\n") and text:
        text += "\n"
    if path is None or path == "-":
        out = stream or sys.stdout
        if out is None:  # started with stdout closed (`>&-`): nobody to print to
            return
        try:
            out.write(encodable(text, out))
            out.flush()
        except BrokenPipeError:
            raise  # the reader went away (`| head`): the command ends quietly
        except OSError as exc:
            if exc.errno != errno.EBADF:  # a closed descriptor is the same as no stdout
                raise CompatAuditError(f"cannot write to stdout: {exc.strerror or exc}") from None
        return
    target, through = _resolve_output(Path(path).expanduser())
    if through:
        _write_through(text, target, path)
        return
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise CompatAuditError(f"cannot write {path}: directory {directory} does not exist")
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        # A short fixed prefix: a 255-byte name plus any prefix would be too long.
        fd, tmp = tempfile.mkstemp(prefix=".compataudit-", suffix=".tmp", dir=directory)
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


_SPECIAL_TREES = ("/dev/", "/proc/")


def _resolve_output(target: Path) -> tuple[Path, bool]:
    """Where ``-o`` really writes, and whether to write through it instead of replacing it:
    through when any link on the way lives in /dev or /proc (``/dev/stdout`` is the
    shell's own open file) or the file at the end is not a regular file."""
    seen = 0
    while True:
        if str(target).startswith(_SPECIAL_TREES) or str(target) in ("/dev", "/proc"):
            return target, True
        try:
            info = os.lstat(target)
        except OSError:
            return target, False  # a new file: created by the atomic replace
        if stat.S_ISLNK(info.st_mode) and seen < 40:
            seen += 1
            link = target.readlink()
            target = link if link.is_absolute() else target.parent / link
            continue
        if stat.S_ISDIR(info.st_mode):
            raise CompatAuditError(f"cannot write {target}: is a directory")
        return target, not stat.S_ISREG(info.st_mode) and not stat.S_ISLNK(info.st_mode)


def _write_through(text: str, target: Path, path: str) -> None:
    import time

    # Non-blocking open: a FIFO that nobody reads answers ENXIO instead of hanging the run;
    # a reader gets PIPE_TIMEOUT_S to turn up (`compataudit check -o fifo & cat fifo`).
    deadline = time.monotonic() + PIPE_TIMEOUT_S
    while True:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno == errno.ENXIO and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            why = f"no process reads it within {PIPE_TIMEOUT_S:g} s" if exc.errno == errno.ENXIO else None
            raise CompatAuditError(f"cannot write {path}: {why or exc.strerror or exc}") from None
    os.set_blocking(fd, True)
    data = text.encode("utf-8")
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError as exc:
        raise CompatAuditError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


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
