"""Environments for the plan tests, derived from a real snapshot of the CI machine.

``snapshot_cpu_vm.json`` was written by ``compataudit.probes.probe_environment()``
on the project's build machine (Linux x86_64, Python 3.11, CPU builds of torch
2.13 / tensorflow-cpu 2.21 / jax 0.10.2, no GPU). Variants change a few facts
with ``dataclasses.replace``, the way a second node would differ.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from compataudit.model import (
    BuildInfo,
    Environment,
    Gpu,
    NvidiaInfo,
    Package,
    ProbeStatus,
    from_jsonable,
    to_jsonable,
)

FIXTURES = Path(__file__).parent / "fixtures"
REAL_SNAPSHOT = FIXTURES / "snapshot_cpu_vm.json"


def real_env() -> Environment:
    return from_jsonable(Environment, json.loads(REAL_SNAPSHOT.read_text()))


def with_package(env: Environment, name: str, version: str | None) -> Environment:
    """``env`` with ``name`` at ``version`` (None: removed)."""
    pkgs = [p for p in env.packages if p.name != name]
    if version is not None:
        old = env.package(name)
        pkgs.append(replace(old, version=version) if old else Package(name=name, version=version))
    return replace(env, packages=tuple(sorted(pkgs, key=lambda p: p.name)))


def with_gpus(env: Environment, driver: str, cuda: str, *gpus: tuple[str, str]) -> Environment:
    """``env`` with an NVIDIA driver and GPUs given as (name, compute capability)."""
    return replace(
        env,
        nvidia=NvidiaInfo(
            status=ProbeStatus.OK,
            source="nvml",
            driver_version=driver,
            cuda_driver_version=cuda,
            gpus=tuple(
                Gpu(
                    index=i,
                    name=name,
                    compute_capability=cc,
                    uuid=f"GPU-{i:08x}-1c3a-4b2d-9e8f-0a1b2c3d4e5f",
                    serial=f"13240{i:08d}",
                    pci_bus_id=f"00000000:{i + 0x17:02X}:00.0",
                )
                for i, (name, cc) in enumerate(gpus)
            ),
        ),
    )


def with_torch_build(env: Environment, version: str, cuda: str | None) -> Environment:
    env = with_package(env, "torch", version)
    builds = [b for b in env.builds if b.framework != "torch"]
    builds.append(
        BuildInfo(
            framework="torch",
            distribution="torch",
            version=version,
            cuda=cuda,
            is_cuda_build=cuda is not None,
        )
    )
    return replace(env, builds=tuple(builds))


def write_env(path: Path, env: Environment) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(env)))
    return path


def golden_and_drifted(tmp: Path, env: Mapping[str, str]) -> tuple[Path, Path]:
    """(a snapshot of this machine, the same with torch drifted to a CUDA build), written by
    the real CLI run under ``env``: the baselines the cluster gates compare a node against."""
    golden = tmp / "golden.json"
    subprocess.run(
        [sys.executable, "-m", "compataudit", "snapshot", "-q", "-o", str(golden)], check=True, env=env
    )
    data = json.loads(golden.read_text())
    for pkg in data["packages"]:
        if pkg["name"] == "torch":
            pkg["version"] = "2.13.0+cu126"
    drifted = tmp / "drifted.json"
    drifted.write_text(json.dumps(data))
    return golden, drifted
