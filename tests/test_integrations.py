"""The pre-commit hook and the GitHub Action at the repository root."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli_process import run

ROOT = Path(__file__).resolve().parents[1]
LINT_FIXTURES = ROOT / "tests" / "fixtures" / "lint"


def _load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def test_pre_commit_hook_lints_python_files_with_a_real_command() -> None:
    [hook] = _load(".pre-commit-hooks.yaml")
    assert hook["id"] == "compataudit-lint"
    assert hook["types"] == ["python"] and hook["language"] == "python"
    program, *args = shlex.split(hook["entry"])
    assert program == "compataudit"
    # pre-commit appends the staged file names: the entry must accept them as they are
    files = sorted(str(p) for p in LINT_FIXTURES.rglob("*.py"))[:3]
    proc = run(*args, *files)
    assert proc.returncode in (0, 1), proc.stderr
    assert "file(s) linted" in proc.stdout


def test_action_installs_checks_uploads_sarif_and_keeps_the_exit_code() -> None:
    action = _load("action.yml")
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    scripts = " ".join(step.get("run", "") for step in steps)
    assert '"$TOOL_VENV/bin/python" -m pip install' in scripts and '"$ACTION_PATH"' in scripts
    assert '"$PYTHON" -m pip' not in scripts  # never into the audited interpreter
    assert 'compataudit" check --env "$TARGET" --format github' in scripts
    assert "--format sarif -o compataudit.sarif" in scripts
    [upload] = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert upload["with"]["sarif_file"] == "compataudit.sarif"
    assert upload["continue-on-error"] is True  # a refused upload never fails the job
    assert any("steps.upload.outcome == 'failure'" in str(s.get("if", "")) for s in steps)
    assert 'exit "${CODE:-2}"' in scripts
    # inputs reach the scripts through env only (no ${{ }} inside a shell script)
    assert not [s["run"] for s in steps if "run" in s and re.search(r"\$\{\{", s["run"])]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"


@pytest.mark.slow
def test_action_scripts_audit_the_job_environment_without_touching_it(tmp_path: Path) -> None:
    # The install and check steps run as GitHub runs them (bash -eo pipefail, the step's env).
    audited = tmp_path / "job-venv"
    subprocess.run([sys.executable, "-m", "venv", str(audited)], check=True)
    python = audited / "bin" / "python"
    freeze = [str(python), "-m", "pip", "freeze", "--all"]
    before = subprocess.run(freeze, capture_output=True, text=True, check=True).stdout
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    output = tmp_path / "github-output"
    env = {
        **os.environ,
        "PYTHON": str(python),
        "ACTION_PATH": str(ROOT),
        "RUNNER_TEMP": str(runner_temp),
        "TOOL_VENV": str(runner_temp / "compataudit-venv"),
        "GITHUB_OUTPUT": str(output),
        "ARGS": "--no-smoke",
    }
    env.pop("VIRTUAL_ENV", None)
    steps = {s["name"]: s for s in _load("action.yml")["runs"]["steps"]}
    for name in ("Install compataudit (its own venv)", "compataudit check"):
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[name]["run"]],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert output.read_text().strip() == "exit-code=0", done.stdout[-2000:]
    assert "Traceback" not in done.stderr
    after = subprocess.run(freeze, capture_output=True, text=True, check=True).stdout
    assert after == before  # nothing was installed into the audited interpreter


@pytest.mark.slow
def test_readme_workflow_by_hand_writes_the_sarif_even_when_findings_fail_the_step(tmp_path: Path) -> None:
    # The README's hand-written step, run as GitHub runs it (bash -eo pipefail), on a job venv
    # whose torch was installed over another without a clean uninstall (PKG006, an error).
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("The same by hand:", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    [step] = [s for s in yaml.safe_load(block) if "run" in s]
    job = tmp_path / "job-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(job)], check=True)
    [site] = list(job.glob("lib/python*/site-packages"))
    for version in ("2.4.0", "2.5.1"):
        info = site / f"torch-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "pipx").write_text("#!/bin/sh\nexit 0\n")  # compataudit is already installed here
    (shims / "compataudit").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m compataudit "$@"\n')
    for shim in shims.iterdir():
        shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{job / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-2000:]  # the findings fail the step...
    assert "::error" in done.stdout and "PKG006" in done.stdout
    sarif = (tmp_path / "compataudit.sarif").read_text(encoding="utf-8")  # ...after the SARIF
    assert "PKG006" in sarif
