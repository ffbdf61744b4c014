"""``check --baseline FILE`` (FLT001): drift from a golden snapshot or report.

Built from the real snapshot of the project's build machine
(``tests/plan/fixtures/snapshot_cpu_vm.json``) made into an 8-GPU node; each case
changes one fact the way a drifted node differs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from compataudit.checks import CheckContext
from compataudit.checks.baseline import check_baseline, drift_facts
from compataudit.model import Environment, Gpu, Severity, to_jsonable
from tests.checks.check_helpers import MATRICES
from tests.plan.plan_helpers import real_env, with_gpus, with_package, with_torch_build

H100 = ("NVIDIA H100 80GB HBM3", "9.0")


def golden() -> Environment:
    env = with_gpus(real_env(), "550.54.14", "12.4", *([H100] * 8))
    return with_package(with_torch_build(env, "2.13.0+cu126", "12.6"), "nvidia-cudnn-cu12", "9.10.2.21")


def drift(env: Environment, baseline: Environment | None = None) -> list[str]:
    options = {"baseline": baseline or golden(), "baseline_name": "golden.json"}
    found = list(check_baseline(CheckContext(env=env, matrices=MATRICES, options=options)))
    assert all(f.code == "FLT001" and f.severity is Severity.ERROR for f in found)
    return [f.title for f in found]


def test_the_same_stack_does_not_drift() -> None:
    env = golden()
    other_host = replace(env, platform=replace(env.platform, hostname="gpu0042"))
    assert drift(other_host) == []
    assert drift(with_package(env, "requests", "0.1")) == []  # a leaf package is not the stack


def test_no_baseline_no_findings() -> None:
    assert list(check_baseline(CheckContext(env=golden(), matrices=MATRICES))) == []


@pytest.mark.parametrize(
    ("change", "titles"),
    [
        (
            lambda e: with_torch_build(e, "2.13.0+cpu", None),
            [
                "torch drifted from the baseline: 2.13.0+cu126 -> 2.13.0+cpu",
                "torch build drifted from the baseline: CUDA 12.6 -> CPU",
            ],
        ),
        (
            lambda e: with_package(e, "nvidia-cudnn-cu12", "9.1.0.70"),
            ["nvidia-cudnn-cu12 drifted from the baseline: 9.10.2.21 -> 9.1.0.70"],
        ),
        (
            lambda e: with_package(e, "nvidia-nccl-cu12", "2.27.3"),
            ["nvidia-nccl-cu12 2.27.3 is here but not in the baseline"],
        ),
        (lambda e: with_package(e, "jax", None), ["jax 0.10.2 is in the baseline but not here"]),
        (
            lambda e: with_gpus(e, "535.104.05", "12.2", *([H100] * 8)),
            ["nvidia-driver drifted from the baseline: branch 550 -> branch 535"],
        ),
        (lambda e: with_gpus(e, "550.90.07", "12.4", *([H100] * 8)), []),  # same branch: no drift
        (
            lambda e: with_gpus(e, "550.54.14", "12.4", *([H100] * 7), ("NVIDIA A100-SXM4-80GB", "8.0")),
            [
                "gpu drifted from the baseline: 8x NVIDIA H100 80GB HBM3 -> "
                "1x NVIDIA A100-SXM4-80GB, 7x NVIDIA H100 80GB HBM3"
            ],
        ),
    ],
    ids=["cpu-torch", "cudnn-wheel", "new-nvidia-wheel", "removed", "driver-branch", "driver-patch", "gpu"],
)
def test_each_drift_is_named(change: object, titles: list[str]) -> None:
    assert drift(change(golden())) == titles  # type: ignore[operator]


def test_drift_facts_name_what_a_baseline_pins() -> None:
    facts = drift_facts(golden())
    assert facts["torch"] == "2.13.0+cu126" and facts["torch build"] == "CUDA 12.6"
    assert facts["nvidia-driver"] == "branch 550" and facts["gpu"] == "8x NVIDIA H100 80GB HBM3"
    assert "requests" not in facts
    assert (
        drift_facts(replace(golden(), nvidia=replace(golden().nvidia, gpus=(Gpu(0, "X"),))))["gpu"] == "1x X"
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compataudit", *args], capture_output=True, text=True, check=False
    )


def test_check_baseline_through_the_cli(tmp_path: Path) -> None:
    base = tmp_path / "golden.json"
    base.write_text(json.dumps(to_jsonable(golden())))
    node = tmp_path / "node.json"
    node.write_text(json.dumps(to_jsonable(with_torch_build(golden(), "2.13.0+cpu", None))))
    started = time.perf_counter()
    proc = _run("check", "--snapshot", str(node), "--baseline", str(base), "--no-smoke", "-f", "json")
    elapsed = time.perf_counter() - started
    report = json.loads(proc.stdout)
    flt = [f for f in report["findings"] if f["code"] == "FLT001"]
    assert proc.returncode == 1
    assert [f["components"] for f in flt] == [["torch"], ["torch"]]
    assert "golden.json" in flt[0]["detail"]
    same = _run("check", "--snapshot", str(base), "--baseline", str(base), "--no-smoke", "-f", "json")
    assert not [f for f in json.loads(same.stdout)["findings"] if f["code"] == "FLT001"]
    assert elapsed < 30  # generous: the static path, on a shared 2-core machine


@pytest.mark.parametrize(("content", "message"), [(None, "no such file"), ("{", "not valid JSON")])
def test_bad_baseline_is_one_line_exit_2(tmp_path: Path, content: str | None, message: str) -> None:
    base = tmp_path / "golden.json"
    if content is not None:
        base.write_text(content)
    proc = _run("check", "--no-smoke", "--baseline", str(base))
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr and "baseline" in proc.stderr
