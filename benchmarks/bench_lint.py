"""Lint cost: ``compataudit lint DIR`` vs a bare single-process ``ast.parse`` of the same files.

Goal (issue 11): linting transformers/models costs at most 1.5x the bare parse and
at most 400 MB peak memory. Run it on any tree, e.g. the model code of a
transformers wheel unzipped to a temporary folder:

    python benchmarks/bench_lint.py /tmp/tf/transformers/models [--runs 3] [--jobs N]

It prints the median wall time of: the bare parse (read + ``ast.parse`` of every
``*.py`` file, one process); lint with ``--no-cache``; lint with a warm cache (a
private XDG_CACHE_HOME filled by one run), each as a ratio to the bare parse; and
each run's peak memory: the largest single process (``ru_maxrss`` from wait4) and the
whole process tree sampled from /proc every 20 ms (Linux). Standard library only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BARE = """
import ast, sys
for path in open(sys.argv[1], encoding="utf-8").read().splitlines():
    data = open(path, "rb").read()
    try:
        ast.parse(data.decode("utf-8-sig"), filename=path)
    except (SyntaxError, ValueError, UnicodeDecodeError):
        pass
"""


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (Linux /proc), in KiB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(wall seconds, largest process KiB, whole tree peak KiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {err}")
    return elapsed, int(usage.ru_maxrss), max(peak[0], int(usage.ru_maxrss))


def python_files(root: Path) -> list[str]:
    from compataudit.doctor.lint import iter_python_files

    return [str(p) for p in iter_python_files(root)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None, help="lint --jobs (default: cores)")
    args = parser.parse_args()
    files = python_files(args.directory)
    work = Path(tempfile.mkdtemp(prefix="bench-lint-"))
    listing = work / "files.txt"
    listing.write_text("\n".join(files), encoding="utf-8")
    lint = [
        sys.executable,
        "-m",
        "compataudit",
        "lint",
        str(args.directory),
        "-f",
        "json",
        "--fail-on",
        "never",
        "-o",
        os.devnull,
    ]
    if args.jobs:
        lint += ["--jobs", str(args.jobs)]
    warm_env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache")}
    runs: dict[str, list[tuple[float, int, int]]] = {
        "bare ast.parse": [],
        "lint --no-cache": [],
        "lint, warm cache": [],
    }
    measure(lint, warm_env)  # fills the private cache; also warms the OS file cache
    for _ in range(args.runs):  # interleaved, so load on a shared machine hits all alike
        runs["bare ast.parse"].append(measure([sys.executable, "-c", BARE, str(listing)]))
        runs["lint --no-cache"].append(measure([*lint, "--no-cache"]))
        runs["lint, warm cache"].append(measure(lint, warm_env))
    base = statistics.median(t for t, _, _ in runs["bare ast.parse"])
    print(f"{len(files)} files under {args.directory}, {os.cpu_count()} cores, median of {args.runs} runs")
    for name, values in runs.items():
        wall = statistics.median(t for t, _, _ in values)
        largest = max(m for _, m, _ in values) / 1024
        tree = max(p for _, _, p in values) / 1024
        print(
            f"{name:<18} {wall:7.2f} s  {wall / base:5.2f}x  "
            f"peak {largest:6.0f} MB largest process, {tree:6.0f} MB process tree"
        )


if __name__ == "__main__":
    main()
