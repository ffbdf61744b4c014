"""Matrices + checks speed: load every matrix file and run every check (goal: < 50 ms).

Each sample is a fresh interpreter (so nothing is cached), timing in-process from
just before the first compataudit import of the checks to the last finding:
loading and validating the matrices, importing the check modules and running them
over this machine's snapshot (probed once, before the clock starts).

    python benchmarks/bench_checks.py [--runs 11]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

SAMPLE = r"""
import json, sys, time
from compataudit.probes import probe_environment
env = probe_environment()
start = time.perf_counter()
from compataudit.checks import CheckContext, run_checks
from compataudit.compat.matrices import load_matrices
matrices = load_matrices()
matrices.load_all()
findings = run_checks(CheckContext(env, matrices))
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "findings": len(findings)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    samples = []
    for _ in range(args.runs + 1):  # the first run warms the .pyc and file caches
        out = subprocess.run(
            [sys.executable, "-c", SAMPLE], capture_output=True, text=True, check=True
        ).stdout
        samples.append(json.loads(out)["seconds"])
    samples = samples[1:]
    median = statistics.median(samples)
    print(
        f"matrices load + all checks: median {median * 1000:.1f} ms "
        f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}, n={len(samples)}); "
        f"goal < 50 ms: {'met' if median < 0.050 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
