"""Static audit speed: ``compataudit check --no-smoke`` vs ``python -m torch.utils.collect_env``.

Goal (issue 2): at least 10x faster, as the ratio of medians of interleaved runs on
the same machine, with torch and TensorFlow installed. Run it yourself:

    python benchmarks/bench_check.py [--runs 15]

It prints each command's median wall time and the ratio. Uses only the standard
library: whole processes timed with ``time.perf_counter``, A B A B order.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

OURS = [sys.executable, "-m", "compataudit", "check", "--no-smoke", "--format", "json"]
PEER = [sys.executable, "-m", "torch.utils.collect_env"]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    timed(OURS), timed(PEER)  # warm-up: file caches, .pyc
    ours, peer = [], []
    for _ in range(args.runs):
        ours.append(timed(OURS))
        peer.append(timed(PEER))
    m_ours, m_peer = statistics.median(ours), statistics.median(peer)
    print(
        f"compataudit check --no-smoke : median {m_ours * 1000:7.1f} ms "
        f"(min {min(ours) * 1000:.1f}, max {max(ours) * 1000:.1f}, n={len(ours)})"
    )
    print(
        f"torch.utils.collect_env      : median {m_peer * 1000:7.1f} ms "
        f"(min {min(peer) * 1000:.1f}, max {max(peer) * 1000:.1f}, n={len(peer)})"
    )
    print(f"ratio collect_env / compataudit = {m_peer / m_ours:.1f}x (goal >= 10x)")


if __name__ == "__main__":
    main()
