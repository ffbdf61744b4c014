"""One compataudit snapshot (or check report) per node of a running Ray cluster.

    python examples/cluster/ray_snapshots.py --out snapshots/      # on the head node
    compataudit fleet snapshots/

The same as ``compataudit collect --ray auto -o snapshots/``, for scripts that drive
Ray themselves. Ray is an optional dependency (``pip install 'compataudit[ray]'``).
Each alive node gets one task pinned to it by hard node affinity that asks for all
of the node's GPUs (``num_gpus``), so Ray makes them visible to it: a task that
asks for none gets an empty ``CUDA_VISIBLE_DEVICES`` on some Ray versions and every
GPU would look hidden. The task runs compataudit with the worker's Python - the
stack Ray jobs run. Files are ``OUT/<hostname>.json`` (``<hostname>-<node id>.json``
where hostnames repeat, ``node-NNNN.json`` with ``--redact``). A node that fails is
listed and skipped; the others are still written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from compataudit.plan.collect_ray import collect

    parser = argparse.ArgumentParser(description="One compataudit snapshot per Ray node.")
    parser.add_argument("--out", type=Path, default=Path("snapshots"), help="output directory")
    parser.add_argument("--address", default="auto", help="Ray cluster address (default: auto)")
    parser.add_argument("--redact", action="store_true", help="drop hostnames, user names, paths, GPU UUIDs")
    parser.add_argument("--check", nargs=argparse.REMAINDER, help="run check --format json with these args")
    args = parser.parse_args(argv)
    result = collect(args.address, args.out, args.check, redact=args.redact)
    sys.stderr.write(result.summary() + "\n")
    return 1 if result.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
