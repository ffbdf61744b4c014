"""Static audit cost: ``compataudit check --no-smoke`` vs ``python -m torch.utils.collect_env``.

Goals: at least 10x faster in wall time (issue 2) and 16x cheaper in CPU time (issue 24),
as ratios of medians of interleaved runs on the same machine, in a venv with torch,
TensorFlow, Keras and JAX. CPU time (user + system of the whole process, from the
kernel's own accounting) holds steady on a busy machine where wall time does not.
Run it yourself:

    python benchmarks/bench_check.py [--runs 15]

Uses only the standard library: whole processes, A B A B order, ``os.wait4`` for CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

OURS = [sys.executable, "-m", "compataudit", "check", "--no-smoke", "--format", "json"]
PEER = [sys.executable, "-m", "torch.utils.collect_env"]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the process and its children)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    timed(OURS), timed(PEER)  # warm-up: file caches, .pyc
    ours, peer = [], []
    for _ in range(args.runs):
        ours.append(timed(OURS))
        peer.append(timed(PEER))
    for label, runs in (("compataudit check --no-smoke", ours), ("torch.utils.collect_env", peer)):
        wall, cpu = [w for w, _ in runs], [c for _, c in runs]
        print(
            f"{label:<29}: wall median {statistics.median(wall) * 1000:7.1f} ms "
            f"(min {min(wall) * 1000:.1f}), CPU median {statistics.median(cpu) * 1000:7.1f} ms "
            f"(min {min(cpu) * 1000:.1f}), n={len(runs)}"
        )
    wall_ratio = statistics.median(w for w, _ in peer) / statistics.median(w for w, _ in ours)
    cpu_ratio = statistics.median(c for _, c in peer) / statistics.median(c for _, c in ours)
    print(
        f"ratio collect_env / compataudit: wall {wall_ratio:.1f}x (goal >= 10x), "
        f"CPU {cpu_ratio:.1f}x (goal >= 16x)"
    )


if __name__ == "__main__":
    main()
