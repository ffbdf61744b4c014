"""The command line as a user runs it: real subprocesses, real exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli_process import run

FRAMEWORK_MODULES = ("torch", "tensorflow", "keras", "jax", "jaxlib")


def _json(proc: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(proc.stdout)


def test_version() -> None:
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("compataudit 0.")


def test_help_has_examples_and_exit_codes() -> None:
    proc = run("check", "--help")
    assert proc.returncode == 0
    assert "Examples" in proc.stdout and "--pin" in proc.stdout and "Exit codes" in proc.stdout


def test_static_audit_json_of_this_machine() -> None:
    proc = run("check", "--no-smoke", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr
    report = _json(proc)
    assert report["schema_version"] == 1 and report["tool"]["name"] == "compataudit"
    assert report["summary"]["exit_code"] == proc.returncode
    assert report["smoke"] == []
    names = {p["name"] for p in report["environment"]["packages"]}
    assert "packaging" in names


def test_static_audit_imports_no_framework() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "compataudit", "check", "--no-smoke", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert not {m for m in imported if m.split(".")[0] in FRAMEWORK_MODULES}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check", "--snapshot", "/nonexistent/snap.json"), "no such file"),
        (("check", "--no-probe", "--pin", "torch==not-a-version"), "not a valid version"),
        (("check", "--no-probe", "--python", "three"), "--python 'three'"),
        (("check", "--no-probe", "-r", "/nonexistent/req.txt"), "no such file"),
        (("check", "--no-such-flag"), "No such option"),
        (("check", "--format", "xml"), "--format 'xml'"),
        (("check", "--no-smoke", "-o", "/nonexistent/dir/out.json"), "does not exist"),
        (("rule", "XYZ999"), "unknown finding code"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


def test_malformed_snapshot_with_json_format(tmp_path: Path) -> None:
    bad = tmp_path / "snap.json"
    bad.write_text('{"python": ')
    proc = run("check", "--snapshot", str(bad), "--format", "json")
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    assert _json(proc)["error"]["exit_code"] == 2  # JSON consumers still get JSON


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = run("check", "--no-smoke", "-f", "json", "-o", str(out))
    assert proc.returncode in (0, 1) and proc.stdout == ""
    assert json.loads(out.read_text())["schema_version"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_snapshot_then_check_it_elsewhere(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    assert run("snapshot", "-o", str(snap)).returncode == 0
    proc = run("check", "--snapshot", str(snap), "-f", "json")
    assert proc.returncode in (0, 1)
    assert _json(proc)["environment"]["origin"] == "snapshot"
    assert _json(proc)["smoke"] == []  # kernels run only where the stack is


def test_table_output_without_color_has_no_escape_codes() -> None:
    proc = run("check", "--no-smoke")
    assert "\x1b[" not in proc.stdout and "Summary:" in proc.stdout


def test_force_color() -> None:
    proc = run("check", "--no-smoke", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in proc.stdout


def test_what_if_python_too_new_for_tensorflow() -> None:
    proc = run("check", "--no-probe", "--python", "3.12", "--pin", "tensorflow==2.15.0", "-f", "json")
    assert proc.returncode == 1
    errors = [f for f in _json(proc)["findings"] if f["severity"] == "error"]
    assert any(set(f["components"]) >= {"tensorflow", "python"} for f in errors)


def test_what_if_driver_too_old_for_torch_build() -> None:
    proc = run("check", "--no-probe", "--pin", "torch==2.5.1+cu124", "--driver", "470.82.01", "-f", "json")
    assert proc.returncode == 1
    errors = [f for f in _json(proc)["findings"] if f["severity"] == "error"]
    assert any(set(f["components"]) >= {"torch", "nvidia-driver"} for f in errors)


def test_fail_on_never_and_ignore() -> None:
    args = ("check", "--no-probe", "--python", "3.12", "--pin", "tensorflow==2.15.0", "-f", "json")
    assert run(*args, "--fail-on", "never").returncode == 0
    proc = run(*args, "--ignore", "PY", "--ignore", "NPY", "--ignore", "MAT")
    assert not any(f["code"].startswith("PY") for f in _json(proc)["findings"])


def test_rules_and_rule() -> None:
    proc = run("rules", "--format", "json")
    codes = {r["code"] for r in _json(proc)}
    assert {"PKG001", "DRV001", "SMK003"} <= codes
    proc = run("rule", "drv001")
    assert proc.returncode == 0 and "Why it matters" in proc.stdout
