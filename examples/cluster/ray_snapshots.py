"""One compataudit snapshot per node of a running Ray cluster.

    python examples/cluster/ray_snapshots.py --out snapshots/      # on the head node
    compataudit fleet snapshots/

Ray is an optional dependency (``pip install 'compataudit[ray]'``). Each alive
node gets one zero-CPU task pinned to it with a hard node-affinity strategy;
the task probes *that* node — from the worker's Python, which is the stack Ray
jobs run — and returns the snapshot JSON, which this script writes to
``OUT/<node hostname>.json`` (``<node id>.json`` where hostnames repeat,
``node-NNNN.json`` with ``--redact``). A
node that fails is reported and skipped; the others are still written.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def snapshot_json(redact: bool) -> str:
    """Runs on the target node: this node's snapshot as JSON text."""
    from compataudit.audit import EnvOptions, build_environment
    from compataudit.sources.snapshot import dump_snapshot

    env = build_environment(EnvOptions())
    if redact:
        from compataudit.plan.redact import redact_environment

        env = redact_environment(env)
    return dump_snapshot(env)


def collect(out: Path, *, address: str | None, redact: bool) -> int:
    """Write one snapshot per alive node into ``out``; the number of nodes that failed."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    ray.init(address=address, logging_level="ERROR")
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    task = ray.remote(num_cpus=0, max_retries=0)(snapshot_json)
    refs = [
        task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(
            node_id=n["NodeID"], soft=False)).remote(redact)
        for n in nodes
    ]
    hosts = Counter(n.get("NodeManagerHostname") for n in nodes)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for index, (node, ref) in enumerate(zip(nodes, refs, strict=True)):
        host = node.get("NodeManagerHostname")
        unique = host if host and hosts[host] == 1 else node["NodeID"]
        # with --redact the file name must not give the hostname away either
        name = f"node-{index:04d}" if redact else unique
        try:
            text: Any = ray.get(ref, timeout=300)
        except Exception as exc:  # one bad node must not lose the others' snapshots
            failed += 1
            sys.stderr.write(f"{name}: snapshot failed: {type(exc).__name__}: {exc}\n")
            continue
        (out / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(nodes) - failed} snapshots to {out} ({failed} failed)")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One compataudit snapshot per Ray node.")
    parser.add_argument("--out", type=Path, default=Path("snapshots"), help="output directory")
    parser.add_argument("--address", default=None,
                        help="Ray cluster address (default: RAY_ADDRESS, or a running local one)")
    parser.add_argument("--redact", action="store_true",
                        help="drop hostnames, user names, home paths and GPU UUIDs in the files")
    args = parser.parse_args(argv)
    return 1 if collect(args.out, address=args.address, redact=args.redact) else 0


if __name__ == "__main__":
    raise SystemExit(main())
