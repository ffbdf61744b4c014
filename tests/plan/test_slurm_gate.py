"""The Slurm prolog and the sbatch collection, through a real single-node Slurm.

Debian's slurm-wlm 22.05 (slurmctld + slurmd, munge) started by
``tests/plan/slurm_local.py`` inside a network namespace with only ``lo``
(``unshare -n sh -c 'ip link set lo up; nox -s slurm'`` as root); elsewhere the
tests skip with the reason. The golden baseline is a snapshot of this machine taken
by the test, the drifted one the same snapshot with another torch build.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.plan.plan_helpers import golden_and_drifted
from tests.plan.slurm_local import available, local_slurm

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "cluster"
VENV_BIN = Path(sys.executable).parent

pytestmark = pytest.mark.cluster


def prolog_wrapper(tmp: Path, baseline: Path) -> Path:
    """Slurm runs a prolog with a bare environment: this wrapper sets what the site would."""
    wrapper = tmp / "prolog.sh"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"export PATH={VENV_BIN}:/usr/bin:/bin PYTHONPATH={ROOT}\n"
        f"export COMPATAUDIT_PYTHON={sys.executable} COMPATAUDIT_STATE={tmp / 'state'}\n"
        f"export COMPATAUDIT_BASELINE={tmp / 'baseline.json'} COMPATAUDIT_SMOKE=0\n"
        f"exec {EXAMPLES / 'slurm_prolog.sh'} 2>>{tmp / 'prolog.err'}\n"
    )
    wrapper.chmod(0o755)
    (tmp / "baseline.json").write_bytes(baseline.read_bytes())
    return wrapper


@pytest.fixture
def slurm(tmp_path: Path) -> object:
    why = available()
    if why:
        pytest.skip(why)
    return None


def test_prolog_gates_jobs_and_drains_a_drifted_node(tmp_path: Path, slurm: object) -> None:
    golden, drifted = golden_and_drifted(tmp_path, dict(os.environ, PYTHONPATH=str(ROOT)))
    wrapper = prolog_wrapper(tmp_path, golden)
    with local_slurm(tmp_path / "slurm", prolog=wrapper) as env:
        started = time.perf_counter()
        ok = subprocess.run(["srun", "-N1", "true"], env=env, capture_output=True, text=True, timeout=120)
        took = time.perf_counter() - started
        assert ok.returncode == 0, ok.stderr
        assert json.loads((tmp_path / "state" / "check.json").read_text())["summary"]["errors"] == 0

        (tmp_path / "baseline.json").write_bytes(drifted.read_bytes())  # the node drifts
        bad = subprocess.run(
            ["srun", "-N1", "--immediate=30", "true"], env=env, capture_output=True, text=True, timeout=120
        )
        assert bad.returncode != 0
        state = subprocess.run(
            ["sinfo", "-h", "-N", "-o", "%t %E"], env=env, capture_output=True, text=True, check=True
        ).stdout
        assert state.startswith("drain"), state  # slurmd drained the node on the prolog's exit 1
        assert "FLT001 torch drifted from the baseline" in (tmp_path / "prolog.err").read_text()
    print(f"srun through the prolog (static path): {took:.2f} s")


def test_sbatch_collection_through_real_slurm(tmp_path: Path, slurm: object) -> None:
    reports = tmp_path / "reports"
    env_extra = {
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "REPORT_DIR": str(reports),
        "FLEET": str(tmp_path / "fleet"),
        "COMPATAUDIT_ARGS": "--no-smoke",
    }
    with local_slurm(tmp_path / "slurm") as env:
        env.update(env_extra)
        done = subprocess.run(
            [
                "sbatch",
                "--wait",
                "-N1",
                f"--output={tmp_path / 'job.log'}",
                str(EXAMPLES / "slurm_snapshots.sbatch"),
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
    log = (tmp_path / "job.log").read_text()
    node = socket.gethostname().split(".")[0]
    report = json.loads((reports / f"{node}.json").read_text())  # srun's %N: the node's short name
    assert report["summary"]["exit_code"] in (0, 1) and "findings" in report
    fleet = json.loads((tmp_path / "fleet.json").read_text())
    assert fleet["nodes"] == 1 and fleet["missing"] == [] and fleet["expected"] == 1, log
    assert fleet["corrupt"] == [], log
    assert node in (tmp_path / "fleet.html").read_text()
    assert done.returncode == (1 if report["summary"]["errors"] else 0), log
