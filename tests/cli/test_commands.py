"""Commands are module-level functions: importable, callable directly, attached by ``register``."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from compataudit.cli.app import COMMAND_MODULES
from compataudit.cli.commands.doctor import explain_command
from compataudit.cli.commands.doctor import register as register_doctor
from compataudit.cli.commands.plan import register as register_plan
from compataudit.cli.commands.plan import suggest_command
from compataudit.cli.commands.rules import list_rules, show_rule
from compataudit.cli.commands.schema import schema_command
from compataudit.cli.options import TableOrJson
from compataudit.options import EnvOptions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# A real traceback: flash-attn built for another torch (undefined c10 symbol).
FLASH_ATTN = FIXTURES / "tracebacks" / "e01_flash_attn_undefined_c10_error.txt"
# A real project whose [testing] extra adds TensorFlow, Keras and torch to its jax stack.
FLAX = FIXTURES / "inputs" / "projects" / "flax" / "pyproject.toml"


def _callbacks(app: typer.Typer) -> list[Any]:
    found = [info.callback for info in app.registered_commands]
    for group in app.registered_groups:
        assert group.typer_instance is not None
        found += _callbacks(group.typer_instance)
    return found


@pytest.mark.parametrize("name", COMMAND_MODULES)
def test_register_only_attaches_module_level_commands(name: str) -> None:
    module = importlib.import_module(f"compataudit.cli.commands.{name}")
    app = typer.Typer()
    module.register(app)
    callbacks = _callbacks(app)
    assert callbacks
    for callback in callbacks:
        assert "<locals>" not in callback.__qualname__, callback.__qualname__
        assert getattr(module, callback.__name__) is callback


def test_schema_command_called_directly(capsys: pytest.CaptureFixture[str]) -> None:
    schema_command()
    assert json.loads(capsys.readouterr().out)["$schema"].startswith("https://json-schema.org/")


def test_rule_commands_called_directly(capsys: pytest.CaptureFixture[str]) -> None:
    show_rule("driver-too-old")
    assert capsys.readouterr().out.startswith("DRV001 (driver-too-old)")
    list_rules(fmt="json")
    assert "DRV001" in {rule["code"] for rule in json.loads(capsys.readouterr().out)}


def _explain_direct(capsys: pytest.CaptureFixture[str], command: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(typer.Exit) as ended:
        command(source=str(FLASH_ATTN), fmt=TableOrJson.json, **kwargs)
    assert ended.value.exit_code == 0
    diagnoses: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["diagnoses"]
    return diagnoses[0]


def test_explain_called_directly_with_flags_or_with_one_env_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("torch==2.5.1\nflash-attn==2.7.0.post2\n", encoding="utf-8")
    bare = _explain_direct(capsys, explain_command, no_probe=True)
    with_flags = _explain_direct(
        capsys, explain_command, no_probe=True, python="3.11", requirements=[str(requirements)]
    )
    with_value = _explain_direct(
        capsys,
        explain_command.__wrapped__,  # type: ignore[attr-defined]
        what_if=EnvOptions(requirements=(str(requirements),), python="3.11", probe=False),
    )
    assert bare["kind"] == with_flags["kind"] == "torch-extension-mismatch"
    # the environment the requirements file builds makes the fix exact
    assert "environment: torch 2.5.1 is installed" not in bare["evidence"]
    assert "environment: torch 2.5.1 is installed" in with_flags["evidence"]
    assert "built for torch 2.5 " in with_flags["fix"]
    assert with_value == with_flags


def test_explain_reads_the_environment_a_requirements_file_builds(tmp_path: Path) -> None:
    """-r on explain (new with the shared group) means what --pin means."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("torch==2.5.1\nflash-attn==2.7.0.post2\n", encoding="utf-8")
    app = typer.Typer()
    register_doctor(app)
    common = ["explain", str(FLASH_ATTN), "-f", "json", "--no-probe", "--python", "3.11"]
    pinned = CliRunner().invoke(app, [*common, "--pin", "torch==2.5.1", "--pin", "flash-attn==2.7.0.post2"])
    from_file = CliRunner().invoke(app, [*common, "-r", str(requirements)])
    assert pinned.exit_code == from_file.exit_code == 0
    assert json.loads(from_file.stdout) == json.loads(pinned.stdout)


def test_suggest_called_directly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as ended:
        suggest_command(
            fmt=TableOrJson.json, no_probe=True, python="3.11", driver="535.104.05", gpu_cc=["8.6"]
        )
    assert ended.value.exit_code == 0
    suggestion = json.loads(capsys.readouterr().out)
    assert suggestion["target"]["driver"] == "535.104.05" and suggestion["target"]["gpu_ccs"] == ["8.6"]


def test_suggest_takes_a_pyproject_extra() -> None:
    """--extra on suggest (new with the shared group) reaches the environment it builds."""
    app = typer.Typer()
    register_plan(app)
    common = ["suggest", "-f", "json", "--no-probe", "--python", "3.12", "-r", str(FLAX)]
    ok = CliRunner().invoke(app, [*common, "--extra", "testing"])
    assert ok.exit_code == 0, ok.output
    unknown = CliRunner().invoke(app, [*common, "--extra", "nosuch"])
    assert unknown.exit_code == 2
    assert "--extra nosuch: no such optional dependency (it has: dev, docs, testing)" in unknown.stderr


APP = "compataudit.cli.app"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (["-m", "compataudit"], "compataudit.cli.check_run"),  # the entry point's fast path
        (
            ["-c", "import sys; from compataudit.cli.app import main; main(sys.argv[1:])"],
            "compataudit.cli.app",
        ),
    ],
)
def test_check_imports_no_other_command_module(entry: list[str], expected: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *entry, "check", "--no-smoke", "--no-probe", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr
    lines = proc.stderr.splitlines()
    imported = {line.rsplit("|", 1)[-1].strip() for line in lines if line.startswith("import time:")}
    assert expected in imported
    assert not {m for m in imported if m.startswith("compataudit.cli.commands")}
