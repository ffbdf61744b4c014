"""The pre-commit hook and the GitHub Action at the repository root."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from tests.test_cli import run

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
    assert "pip install" in scripts and '"$ACTION_PATH"' in scripts
    assert "compataudit check --format github" in scripts
    assert "--format sarif -o compataudit.sarif" in scripts
    [upload] = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert upload["with"]["sarif_file"] == "compataudit.sarif"
    assert 'exit "${CODE:-2}"' in scripts
    # inputs reach the scripts through env only (no ${{ }} inside a shell script)
    assert not [s["run"] for s in steps if "run" in s and re.search(r"\$\{\{", s["run"])]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
