"""``compataudit fleet`` as a cluster gate: 1,000 ``check`` reports judged in every format.

Generates one JSON report per node (``gpu0001.json`` ...) from one real snapshot
(``tests/plan/fixtures/snapshot_cpu_vm.json``, or ``--snapshot FILE``) made into an
8-GPU H100 node whose torch smoke kernel passed on every GPU, then plants:

* a failed smoke kernel (``torch cuda:3``) on one node whose stack equals the majority's,
* an error finding of a node's own (DRV001) on another such node,
* a drifted node (a CPU build of torch),
* three expected nodes that wrote nothing.

Runs the real CLI (``python -m compataudit fleet DIR --expect gpu[0001-N]``) once per
format, checks that each output names exactly the planted nodes, and prints the
median wall and CPU time (user + system, which a busy machine does not inflate) of
``--repeat`` runs per format, with the load average before and after.

    python benchmarks/bench_fleet_gate.py [--nodes 1000] [--repeat 3] [--snapshot FILE]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "plan" / "fixtures" / "snapshot_cpu_vm.json"
GPU = "NVIDIA H100 80GB HBM3"


def planted(nodes: int) -> dict[str, Any]:
    """Which node carries which fault, for a fleet of ``nodes`` (at least 50)."""
    name = node_name(nodes)
    return {
        "smoke_failed": name(nodes * 417 // 1000),
        "own_finding": name(nodes * 250 // 1000),
        "drifted": name(nodes * 733 // 1000),
        "missing": [name(nodes * 100 // 1000), name(nodes * 555 // 1000), name(nodes)],
        "expect": f"gpu[{1:0{_width(nodes)}d}-{nodes:0{_width(nodes)}d}]",
    }


def _width(nodes: int) -> int:
    return max(4, len(str(nodes)))


def node_name(nodes: int) -> Any:
    return lambda i: f"gpu{i:0{_width(nodes)}d}"


def gpu_environment(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as an 8x H100 node with a CUDA build of torch."""
    env = copy.deepcopy(snapshot)
    env["nvidia"] = {
        "status": "ok",
        "source": "nvml",
        "driver_version": "550.54.14",
        "cuda_driver_version": "12.4",
        "gpus": [
            {
                "index": i,
                "name": GPU,
                "uuid": f"GPU-{i:08x}-1c3a-4b2d-9e8f-0a1b2c3d4e5f",
                "compute_capability": "9.0",
            }
            for i in range(8)
        ],
    }
    for pkg in env["packages"]:
        if pkg["name"] == "torch":
            pkg["version"] = "2.13.0+cu126"
    for build in _builds(env):
        if build["framework"] == "torch":
            build.update(version="2.13.0+cu126", cuda="12.6", is_cuda_build=True)
    return env


def _builds(env: dict[str, Any]) -> list[dict[str, Any]]:
    builds = env.get("builds") or []
    return list(builds.values()) if isinstance(builds, dict) else list(builds)


def smoke(status_of: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "framework": "torch",
            "device": f"cuda:{i}",
            "status": status_of.get(i, "pass"),
            "forward_ms": 0.9,
            "backward_ms": 1.7,
            "max_rel_error": 2e-7 if status_of.get(i, "pass") == "pass" else 0.31,
            "detail": "relative error grad_weight 3.1e-01; tolerance 1e-04" if i in status_of else None,
            "device_name": GPU,
        }
        for i in range(8)
    ]


def report(
    env: dict[str, Any], smoke_results: list[dict[str, Any]], findings: list[dict[str, Any]]
) -> dict[str, Any]:
    errors = sum(1 for f in findings if f["severity"] == "error")
    failed = sum(1 for r in smoke_results if r["status"] not in ("pass", "skip"))
    return {
        "schema_version": 1,
        "tool": {"name": "compataudit", "version": "0.3.0"},
        "environment": env,
        "findings": findings,
        "smoke": smoke_results,
        "summary": {
            "errors": errors,
            "warnings": 0,
            "infos": 0,
            "smoke_failed": failed,
            "exit_code": int(bool(errors or failed)),
        },
    }


def write_fleet(root: Path, nodes: int, snapshot: Path = SNAPSHOT) -> dict[str, Any]:
    """One report per node under ``root`` (racks of 100), the faults of :func:`planted` in them."""
    plan = planted(nodes)
    base = gpu_environment(json.loads(snapshot.read_text()))
    cpu = copy.deepcopy(base)
    for pkg in cpu["packages"]:
        if pkg["name"] == "torch":
            pkg["version"] = "2.13.0+cpu"
    for build in _builds(cpu):
        if build["framework"] == "torch":
            build.update(version="2.13.0+cpu", cuda=None, is_cuda_build=False)
    name = node_name(nodes)
    own_finding = {
        "code": "DRV001",
        "severity": "error",
        "title": "NVIDIA driver 550.54.14 is too old for torch 2.13.0+cu130",
        "components": ["torch", "nvidia-driver"],
    }
    for i in range(1, nodes + 1):
        host = name(i)
        if host in plan["missing"]:
            continue
        env = cpu if host == plan["drifted"] else base
        env = {**env, "platform": {**env["platform"], "hostname": host}}
        env["created_at"] = f"2026-12-07T23:{(i // 60) % 60:02d}:{i % 60:02d}Z"
        failed = {3: "fail"} if host == plan["smoke_failed"] else {}
        findings = [own_finding] if host == plan["own_finding"] else []
        rack = root / f"rack{(i - 1) // 100:02d}"
        rack.mkdir(parents=True, exist_ok=True)
        (rack / f"{host}.json").write_text(json.dumps(report(env, smoke(failed), findings)))
    return plan


def judge(fmt: str, text: str, plan: dict[str, Any]) -> list[str]:
    """What is wrong with one format's output: every planted node named, the rest right."""
    problems = []
    named = [plan["smoke_failed"], plan["own_finding"], plan["drifted"], *plan["missing"]]
    if fmt == "json":
        data = json.loads(text)
        outliers = {o["node"]: o for o in data["outliers"]}
        if set(outliers) != {plan["smoke_failed"], plan["own_finding"], plan["drifted"]}:
            problems.append(f"json outliers {sorted(outliers)}")
        if data["missing"] != plan["missing"]:
            problems.append(f"json missing {data['missing']}")
        smoke_problem = outliers.get(plan["smoke_failed"], {}).get("problems", [{}])[0]
        if (smoke_problem.get("device"), smoke_problem.get("gpu_uuid", "")[:12]) != (
            "cuda:3",
            "GPU-00000003",
        ):
            problems.append(f"json smoke problem {smoke_problem}")
    elif fmt == "prometheus":
        problems += [
            f"prometheus: {node} not missing"
            for node in plan["missing"]
            if f'compataudit_fleet_node_missing{{node="{node}"}} 1.0' not in text
        ]
        bad = [
            ln
            for ln in text.splitlines()
            if ln.startswith("compataudit_fleet_node_ok") and ln.endswith(" 0.0")
        ]
        if sorted(ln.split('node="')[1].split('"')[0] for ln in bad) != sorted(named[:3]):
            problems.append(f"prometheus not-ok nodes {bad}")
    else:
        missing_text = ",".join(plan["missing"]) if fmt == "html" else ""
        problems += [f"{fmt}: {node} not named" for node in named[:3] if node not in text]
        if fmt == "html" and not all(n in text for n in plan["missing"]):
            problems.append(f"html: missing nodes {missing_text} not named")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        root = Path(tmp) / "reports"
        plan = write_fleet(root, args.nodes, args.snapshot)
        size = sum(p.stat().st_size for p in root.rglob("*.json"))
        print(f"{args.nodes - 3} reports ({size / 1e6:.1f} MB); planted {json.dumps(plan)}")
        wrong = 0
        print(f"load average {os.getloadavg()[0]:.1f}")
        for fmt in ("table", "json", "html", "prometheus"):
            times, cpu, text, code = [], [], "", 0
            for _ in range(args.repeat):
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                proc = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "compataudit",
                        "fleet",
                        str(root),
                        "--expect",
                        plan["expect"],
                        "-f",
                        fmt,
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                times.append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
                text, code = proc.stdout, proc.returncode
            problems = judge(fmt, text, plan) + ([f"exit {code}, want 1"] if code != 1 else [])
            wrong += len(problems)
            verdict = "right" if not problems else "WRONG: " + "; ".join(problems)
            print(
                f"{fmt:<10} median {statistics.median(times):.2f} s wall, "
                f"{statistics.median(cpu):.2f} s CPU of {args.repeat}  exit {code}  {verdict}"
            )
        print(f"load average {os.getloadavg()[0]:.1f}")
        sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
