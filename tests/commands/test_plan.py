"""The ``diff`` and ``fleet`` commands end to end (Typer app, exit codes, output)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from compataudit.cli.commands.plan import register
from compataudit.model import Environment, from_jsonable, to_jsonable

SNAPSHOT = Path(__file__).parent.parent / "plan" / "fixtures" / "snapshot_cpu_vm.json"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def env() -> Environment:
    return from_jsonable(Environment, json.loads(SNAPSHOT.read_text()))


def write(path: Path, value: Environment) -> str:
    path.write_text(json.dumps(to_jsonable(value)))
    return str(path)


def test_diff_identical_exits_0(app: typer.Typer) -> None:
    code, out, _ = run(app, "diff", str(SNAPSHOT), str(SNAPSHOT))
    assert code == 0
    assert out.startswith("No differences that matter")


def test_diff_json_exits_1_on_difference(app: typer.Typer, tmp_path: Path) -> None:
    base = env()
    older = replace(
        base, packages=tuple(replace(p, version="1.26.4") if p.name == "numpy" else p for p in base.packages)
    )
    b = write(tmp_path / "b.json", older)
    code, out, _ = run(app, "diff", str(SNAPSHOT), b, "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["identical"] is False
    assert {"component": "numpy", "before": "2.4.6", "after": "1.26.4", "kind": "downgraded"} in data[
        "changes"
    ]
    assert set(data) >= {"changes", "findings_only_in_a", "findings_only_in_b"}


def test_diff_redact_and_output_file(app: typer.Typer, tmp_path: Path) -> None:
    base = env()
    a = write(tmp_path / "a.json", replace(base, env_vars=(("LD_LIBRARY_PATH", "/home/alice/cuda/lib64"),)))
    b = write(tmp_path / "b.json", base)
    out_file = tmp_path / "diff.json"
    code, out, _ = run(app, "diff", a, b, "--redact", "-f", "json", "-o", str(out_file))
    assert code == 1 and out == ""
    text = out_file.read_text()
    assert "alice" not in text and "~/cuda/lib64" in text
    assert json.loads(text)["a"] == "a.json"  # no directory: it may be a home path


@pytest.mark.parametrize("content", ["{broken", "[]", '{"python": 1, "platform": {}}'])
def test_diff_bad_input_one_line_exit_2(app: typer.Typer, tmp_path: Path, content: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = run(app, "diff", str(SNAPSHOT), str(bad))
    assert code == 2 and out == ""
    assert err.startswith("compataudit: error: ") and err.count("\n") == 1


def test_fleet_json_and_exit_codes(app: typer.Typer, tmp_path: Path) -> None:
    base = env()
    for i in range(3):
        write(tmp_path / f"n{i}.json", replace(base, platform=replace(base.platform, hostname=f"n{i}")))
    code, out, _ = run(app, "fleet", str(tmp_path), "--format", "json", "--no-checks")
    assert code == 0
    data = json.loads(out)
    assert (data["nodes"], len(data["groups"]), data["outliers"], data["corrupt"]) == (3, 1, [], [])
    (tmp_path / "n3.json").write_text("{")
    code, out, _ = run(app, "fleet", str(tmp_path), "--no-checks")
    assert code == 1  # an unreadable file is reported, not fatal
    assert "3 nodes, 1 distinct stacks, 1 unreadable files" in out and "n3.json" in out


def test_fleet_runs_checks_per_group(app: typer.Typer, tmp_path: Path) -> None:
    write(tmp_path / "n0.json", env())
    code, out, _ = run(app, "fleet", str(tmp_path), "-f", "json", "--fail-on", "never")
    assert code == 0
    assert isinstance(json.loads(out)["groups"][0]["findings"], list)


def test_fleet_nothing_readable_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("nope")
    code, out, err = run(app, "fleet", str(tmp_path))
    assert code == 2 and out == ""
    assert "no readable snapshot" in err and err.count("\n") == 1


def test_diff_this_machine_with_itself(app: typer.Typer) -> None:
    code, out, _ = run(app, "diff", "-", "-", "-f", "json")
    assert code == 0 and json.loads(out)["changes"] == []


def suggest_torch(python: str, driver: str, gpu_cc: str) -> tuple[str, ...]:
    """``suggest`` torch for a what-if machine."""
    return (
        "suggest",
        "--no-probe",
        "--python",
        python,
        "--driver",
        driver,
        "--gpu-cc",
        gpu_cc,
        "--framework",
        "torch",
    )


def test_suggest_what_if_json(app: typer.Typer) -> None:
    code, out, _ = run(app, *suggest_torch("3.12", "580.65.06", "9.0"), "-f", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"packages", "commands", "reasons"}
    assert data["variants"]["torch"].startswith("cu")
    assert data["target"]["gpu_ccs"] == ["9.0"]


def test_suggest_nothing_fits_exits_1_with_the_reason(app: typer.Typer) -> None:
    code, out, _ = run(app, *suggest_torch("3.11", "470.82.01", "3.5"))
    assert code == 1
    assert "Not possible here:" in out and "CPU build" in out


def test_suggest_for_a_snapshot(app: typer.Typer) -> None:
    code, out, _ = run(app, "suggest", "--snapshot", str(SNAPSHOT), "-f", "json")
    data = json.loads(out)
    assert data["target"]["python"] == env().python.version
    assert code == (1 if data["problems"] else 0)


@pytest.mark.parametrize(
    "args",
    [
        ["suggest", "--no-probe"],  # no Python version to plan for
        ["suggest", "--no-probe", "--python", "three"],
        ["suggest", "--no-probe", "--python", "3.11", "--gpu-cc", "sm86"],
    ],
)
def test_suggest_bad_input_one_line_exit_2(app: typer.Typer, args: list[str]) -> None:
    code, out, err = run(app, *args)
    assert code == 2 and out == ""
    assert err.startswith("compataudit: error: ") and err.count("\n") == 1


@pytest.mark.parametrize("command", ["suggest", "diff", "fleet"])
def test_help_documents_exit_status(app: typer.Typer, command: str) -> None:
    code, out, _ = run(app, command, "--help")
    assert code == 0 and "Exit status" in out and "Examples" in out
