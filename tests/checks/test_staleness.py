"""Staleness made visible: MAT001 for installs newer than the data, data_date, the table note.

numpy 2.5.5 is the newest numpy on PyPI on the curation date (matrices/newest.toml);
an install of 2.6.0 is therefore something the data cannot know.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from compataudit.audit import run_audit
from compataudit.checks import CheckContext, staleness
from compataudit.compat.datafacts import HARVEST_DIR
from compataudit.compat.matrices import COMPILED_NAME, load_matrices
from compataudit.options import AuditOptions, EnvOptions
from compataudit.sources.whatif import apply_what_if, empty_environment
from tests.cli_process import run
from tests.schema_helpers import assert_valid_report

CHECKOUT = Path(__file__).resolve().parents[2] / "matrices"


def _env(*pins: str) -> Any:
    return apply_what_if(empty_environment(), EnvOptions(pins=pins, python="3.12.8"))


def _mat001(*pins: str) -> list[str]:
    ctx = CheckContext(_env(*pins), load_matrices())
    return [f.title for f in staleness.check_newer_than_data(ctx)]


def test_numpy_newer_than_the_data_is_mat001() -> None:
    assert _mat001("numpy==2.6.0") == ["numpy 2.6.0 is newer than compataudit's data"]
    assert _mat001("numpy==2.5.5") == []
    assert _mat001("numpy==1.26.4") == []


def test_families_with_their_own_mat001_are_left_to_them() -> None:
    assert _mat001("torch==9.0.0", "tensorflow==9.0.0", "jax==9.0.0") == []


def test_report_carries_data_date_and_the_stale_installs() -> None:
    report = run_audit(_env("numpy==2.6.0"), AuditOptions(smoke=False))
    assert report.data_date == "2026-12-08"
    assert report.newer_than_data == ("numpy 2.6.0",)
    ignored = run_audit(_env("numpy==2.6.0"), AuditOptions(smoke=False, ignore=("MAT",)))
    assert ignored.newer_than_data == () and ignored.data_date == "2026-12-08"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run(*args, env={"COLUMNS": "100"})


WHAT_IF = ("check", "--no-probe", "--no-smoke", "--python", "3.12")


def test_table_says_the_data_is_older_than_the_environment() -> None:
    proc = _cli(*WHAT_IF, "--pin", "numpy==2.6.0")
    text = " ".join(proc.stdout.split())  # the note wraps to the terminal width
    assert "Data: compataudit's compatibility data (of 2026-12-08) is older than this environment" in text
    assert "numpy 2.6.0 is newer than any release it knows" in text
    assert "pass --matrices DIR" in text and "\n  pip install -U compataudit\n" in proc.stdout
    quiet = _cli(*WHAT_IF, "--pin", "numpy==2.5.5")
    assert "older than this environment" not in quiet.stdout


def test_json_tool_has_data_date() -> None:
    proc = _cli(*WHAT_IF, "--pin", "numpy==2.6.0", "--format", "json")
    report = json.loads(proc.stdout)
    assert report["tool"]["data_date"] == "2026-12-08"
    assert_valid_report(report)
    bad = json.loads(json.dumps(report))
    bad["tool"]["data_date"] = "December"
    with pytest.raises(AssertionError):
        assert_valid_report(bad)


def test_version_prints_the_data_date() -> None:
    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout.rstrip().endswith("(data 2026-12-08)")


def test_matrices_dir_brings_its_own_date(tmp_path: Path) -> None:
    directory = tmp_path / "m"
    shutil.copytree(CHECKOUT, directory, ignore=shutil.ignore_patterns(HARVEST_DIR, COMPILED_NAME))
    for path in directory.glob("*.toml"):
        path.write_text(path.read_text().replace('curated = "2026-12-01"', 'curated = "2027-01-15"'))
    newest = directory / "newest.toml"
    newest.write_text(newest.read_text().replace('version = "2.5.5"', 'version = "2.6.0"'))
    proc = _cli(*WHAT_IF, "--pin", "numpy==2.6.0", "--format", "json", "--matrices", str(directory))
    report = json.loads(proc.stdout)
    assert report["tool"]["data_date"] == "2027-01-15"
    assert not [f for f in report["findings"] if f["code"] == "MAT001"]
