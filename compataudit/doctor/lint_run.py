"""Reading, parsing and summarising files for lint: in parallel, through the cache.

Each file becomes a :class:`~compataudit.doctor.summary.FileSummary` (or a
reason it was skipped). Workers return summaries, never syntax trees, so the
parent process stays small; a summary is cached by the file's content hash.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import multiprocessing
import os
import signal
import stat
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from compataudit.doctor import cache
from compataudit.doctor.summary import FileSummary, summarize

MAX_BYTES = 2 * 1024 * 1024
# Below this many files a process pool costs more than it saves.
_POOL_MIN_FILES = 48

Outcome = tuple[FileSummary | None, str | None]  # (summary, why it was skipped)


def read_bytes(path: Path) -> tuple[bytes | None, str | None]:
    """(data, None) or (None, why it was skipped)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block the read
            return None, "not a regular file"
        size = info.st_size
        if size > MAX_BYTES:
            return None, f"larger than {MAX_BYTES // (1024 * 1024)} MB ({size} bytes)"
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    if b"\0" in data[:8192]:
        return None, "binary file"
    return data, None


def summarize_bytes(data: bytes, filename: str) -> Outcome:
    """Parse and summarise one file's bytes (a syntax error is a summary, not a skip)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    # Syntax trees hold no reference cycles: the cyclic collector would only re-scan
    # the growing tree again and again (a third of the parse time on large files).
    collecting = gc.isenabled()
    gc.disable()
    try:
        tree = ast.parse(text, filename=filename)
        return summarize(tree), None
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        return FileSummary(error=(line, getattr(exc, "msg", None) or str(exc))), None
    except (RecursionError, MemoryError):
        return None, "too deeply nested to parse"
    finally:
        if collecting:
            gc.enable()


def summarize_file(path: str, cache_dir: str | None) -> Outcome:
    """One file, through the cache when ``cache_dir`` is given."""
    data, why = read_bytes(Path(path))
    if data is None:
        return None, why
    key = cache.content_key(data) if cache_dir else ""
    if cache_dir:
        hit = cache.load(Path(cache_dir), key)
        if hit is not None:
            return hit, None
    summary, why = summarize_bytes(data, path)
    if summary is not None and cache_dir:
        cache.store(Path(cache_dir), key, summary)
    return summary, why


def _work(args: tuple[str, str | None]) -> Outcome:
    return summarize_file(*args)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def summarize_all(paths: Sequence[str], *, jobs: int, cache_dir: Path | None) -> Iterator[Outcome]:
    """Outcomes in the order of ``paths``; a process pool when it pays off."""
    where = str(cache_dir) if cache_dir is not None else None
    tasks = [(p, where) for p in paths]
    if jobs <= 1 or len(tasks) < _POOL_MIN_FILES:
        yield from map(_work, tasks)
        return
    # fork is cheapest where it is safe (Linux); elsewhere the platform default.
    method = "fork" if sys.platform.startswith("linux") else None
    ctx = multiprocessing.get_context(method)
    jobs = min(jobs, max_jobs())
    pool = ctx.Pool(processes=jobs, initializer=_worker_signals)
    try:
        yield from pool.imap(_work, tasks, chunksize=max(1, min(32, len(tasks) // (jobs * 8))))
    except BaseException:  # Ctrl-C, a signal, or the consumer stopped early
        _abandon(pool)
        raise
    pool.close()  # every result is in: the workers end on their own
    pool.join()


def _abandon(pool: Any) -> None:
    """End ``pool`` without waiting on it: kill every worker, never take its locks.

    ``Pool.terminate()`` takes the task queue's lock, which an idle worker holds while
    it waits for a task; when a signal handler has SIGKILLed that worker, nobody will
    ever release it, and terminate() (or the same call at interpreter exit) hangs.
    """
    from multiprocessing import pool as mp_pool

    pool._state = mp_pool.TERMINATE  # no handler thread starts a replacement worker
    for handler in ("_worker_handler", "_task_handler", "_result_handler"):
        thread = getattr(pool, handler, None)
        if thread is not None:
            thread._state = mp_pool.TERMINATE
    for _ in range(2):  # again: a replacement may have started before the state changed
        workers = list(getattr(pool, "_pool", ()))
        for worker in workers:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                worker.kill()
        for worker in workers:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                worker.join(1.0)
    finalizer = getattr(pool, "_terminate", None)
    if finalizer is not None:
        finalizer.cancel()  # the exit-time terminate() would hang the same way


def max_jobs() -> int:
    """The most worker processes lint starts: a few per core (``--jobs 10000`` is capped)."""
    return 4 * default_jobs()


def _worker_signals() -> None:
    """Workers leave Ctrl-C to the parent and die quietly when the pool ends them.

    A forked worker inherits the CLI's handlers, which would print a traceback when
    the pool sends SIGTERM at the end.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
