"""The gate scripts run for real against this machine: the node-problem-detector plugin,
the NHC check and the Slurm prolog (its smoke cache included).

The baselines are a snapshot of this machine taken by the test (no drift) and the same
snapshot with torch drifted to a CUDA build. NHC's own functions (``die``, ``log``)
are the boundary: stand-ins record what the check asked NHC to do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.plan.plan_helpers import golden_and_drifted

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "cluster"
ENV = dict(os.environ, PYTHONPATH=str(ROOT), COMPATAUDIT_PYTHON=sys.executable)


@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("baselines")
    golden, drifted = golden_and_drifted(tmp, ENV)
    return {"golden": golden, "drifted": drifted, "missing": tmp / "nope.json"}


def npd_script(tmp_path: Path) -> Path:
    import yaml

    (config_map,) = yaml.safe_load_all((EXAMPLES / "k8s_npd_compataudit.yaml").read_text())
    monitor = json.loads(config_map["data"]["compataudit-monitor.json"])
    (rule,) = monitor["rules"]
    assert monitor["plugin"] == "custom" and rule["condition"] == monitor["conditions"][0]["type"]
    assert Path(rule["path"]).name in config_map["data"]  # the script NPD runs is in this ConfigMap
    script = tmp_path / "compataudit-check.sh"
    script.write_text(config_map["data"]["compataudit-check.sh"])
    script.chmod(0o755)
    return script


@pytest.mark.parametrize(
    ("which", "code", "says"),
    [
        ("golden", 0, "stack matches"),
        pytest.param(
            "drifted",
            1,
            "FLT001 torch drifted from the baseline: 2.13.0+cu126 -> 2.13.0+cpu",
            marks=pytest.mark.frameworks,  # the installed CPU torch is what drifted
        ),
        ("missing", 2, "compataudit could not run"),
    ],
)
def test_npd_plugin_exit_codes_are_npds(
    tmp_path: Path, baselines: dict[str, Path], which: str, code: int, says: str
) -> None:
    done = subprocess.run(
        [str(npd_script(tmp_path))],
        env=dict(ENV, COMPATAUDIT_BASELINE=str(baselines[which])),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code  # NPD: 0 OK, 1 NonOK (condition set), 2 Unknown
    assert says in done.stdout and len(done.stdout.strip().splitlines()) == 1


NHC_HARNESS = """
die() { echo "DIE $1 $2"; return 1; }
log() { echo "LOG $*"; }
. "$1"
check_compataudit "$2" "$3"
echo "RETURN $?"
"""


@pytest.mark.parametrize(
    ("which", "lines"),
    [
        ("golden", ["RETURN 0"]),
        pytest.param(
            "drifted",
            [
                "DIE 1 compataudit: FLT001 torch drifted from the baseline: 2.13.0+cu126 -> 2.13.0+cpu",
                "RETURN 1",
            ],
            marks=pytest.mark.frameworks,
        ),
        ("missing", ["LOG check_compataudit: compataudit could not run (exit 2); not judged", "RETURN 0"]),
    ],
)
def test_nhc_check(baselines: dict[str, Path], which: str, lines: list[str]) -> None:
    done = subprocess.run(
        [
            "bash",
            "-c",
            NHC_HARNESS,
            "nhc",
            str(EXAMPLES / "compataudit.nhc"),
            str(baselines[which]),
            sys.executable,
        ],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.splitlines() == lines, done.stderr


def run_prolog(tmp_path: Path, baseline: Path, smoke: str = "0") -> subprocess.CompletedProcess[str]:
    env = dict(
        ENV,
        COMPATAUDIT_BASELINE=str(baseline),
        COMPATAUDIT_STATE=str(tmp_path / "state"),
        COMPATAUDIT_SMOKE=smoke,
        SLURMD_NODENAME="gpu007",
        SLURM_JOB_ID="42",
    )
    return subprocess.run(
        [str(EXAMPLES / "slurm_prolog.sh")], env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.frameworks
def test_prolog_static_path(tmp_path: Path, baselines: dict[str, Path]) -> None:
    assert run_prolog(tmp_path, baselines["golden"]).returncode == 0
    drifted = run_prolog(tmp_path, baselines["drifted"])
    assert drifted.returncode == 1
    assert drifted.stderr.strip() == (
        "compataudit prolog (gpu007, job 42): "
        "FLT001 torch drifted from the baseline: 2.13.0+cu126 -> 2.13.0+cpu"
    )
    missing = run_prolog(tmp_path, baselines["missing"])
    assert missing.returncode == 0 and "could not run (exit 2); job let through" in missing.stderr


@pytest.mark.slow
@pytest.mark.frameworks
def test_prolog_runs_the_smoke_kernels_once_per_boot_and_driver(
    tmp_path: Path, baselines: dict[str, Path]
) -> None:
    first = run_prolog(tmp_path, baselines["golden"], smoke="1")
    assert first.returncode == 0, first.stderr
    smoke = json.loads((tmp_path / "state" / "smoke.json").read_text())
    assert smoke["smoke"] and all(r["status"] == "pass" for r in smoke["smoke"])
    key = (tmp_path / "state" / "smoke.key").read_text()
    assert key.startswith(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    stamp = (tmp_path / "state" / "smoke.json").stat().st_mtime_ns
    started = time.perf_counter()
    again = run_prolog(tmp_path, baselines["golden"], smoke="1")
    assert again.returncode == 0
    assert (tmp_path / "state" / "smoke.json").stat().st_mtime_ns == stamp  # cached: not run again
    assert time.perf_counter() - started < 30
    (tmp_path / "state" / "smoke.key").write_text("another boot or driver\n")
    run_prolog(tmp_path, baselines["golden"], smoke="1")
    assert (tmp_path / "state" / "smoke.json").stat().st_mtime_ns != stamp  # key changed: run again
