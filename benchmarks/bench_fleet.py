"""How long ``compataudit fleet`` takes over 10,000 node snapshots.

Generates the files in a temporary directory from one real snapshot (this
machine, probed now, or ``--snapshot FILE``) made into an 8-GPU node, varies a
few nodes the way a real fleet drifts (a CPU build of torch, an older driver, an
extra package), corrupts a few files, then times one ``fleet`` aggregation with
the checks on — the same code path as the command — and prints the time.

    python benchmarks/bench_fleet.py [--nodes 10000] [--snapshot FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from compataudit.model import BuildInfo, Environment, Package, to_jsonable
from compataudit.options import EnvOptions
from compataudit.sources.whatif import apply_what_if


def base_environment(snapshot: str | None) -> Environment:
    if snapshot:
        from compataudit.sources.snapshot import load_snapshot

        env = load_snapshot(snapshot)
    else:
        from compataudit.probes import probe_environment

        env = probe_environment()
    return apply_what_if(env, EnvOptions(driver="550.54.14", gpu_ccs=("9.0",) * 8))


def variant(env: Environment, index: int) -> dict[str, object]:
    """Node ``index``: mostly the base; every 50th a CPU torch, every 97th an old driver."""
    env = replace(env, platform=replace(env.platform, hostname=f"node{index:05d}"))
    if index % 50 == 7:
        pkgs = tuple(replace(p, version="2.13.0+cpu") if p.name == "torch" else p for p in env.packages)
        env = replace(
            env,
            packages=pkgs,
            builds=(BuildInfo(framework="torch", distribution="torch", version="2.13.0+cpu"),),
        )
    if index % 97 == 3:
        env = replace(env, nvidia=replace(env.nvidia, driver_version="535.104.05"))
    if index % 13 == 0:  # a leaf package: does not change the stack
        env = replace(env, packages=(*env.packages, Package(name="wandb", version="0.18.0")))
    return dict(to_jsonable(env))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--snapshot", help="start from this snapshot instead of probing")
    args = parser.parse_args()

    from compataudit.plan.fleet import aggregate, default_checker

    env = base_environment(args.snapshot)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        for i in range(args.nodes):
            rack = root / f"rack{i // 500:02d}"
            rack.mkdir(exist_ok=True)
            text = json.dumps(variant(env, i), indent=2)
            if i % 1000 == 999:
                text = text[: len(text) // 2]  # a node that died while writing
            (rack / f"node{i:05d}.json").write_text(text)
        size = sum(p.stat().st_size for p in root.rglob("*.json"))
        print(
            f"generated {args.nodes} snapshots ({size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s"
        )

        started, cpu_started = time.perf_counter(), time.process_time()
        result = aggregate([str(root)], default_checker())
        text = json.dumps(result.to_json())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"fleet: {result.nodes} nodes, {len(result.groups)} groups, "
        f"{len(result.outliers)} outliers, {len(result.corrupt)} corrupt, "
        f"{len(text) / 1e6:.1f} MB of JSON"
    )
    # CPU time too: on a shared machine the wall-clock time includes other people's work.
    print(
        f"fleet time: {elapsed:.2f} s wall, {cpu:.2f} s CPU "
        f"({elapsed / max(args.nodes, 1) * 1e6:.0f} µs per node)"
    )


if __name__ == "__main__":
    main()
