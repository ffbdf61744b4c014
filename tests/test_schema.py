from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from compataudit.formats.schema import load_schema, schema_text, validate_report
from compataudit.model import to_jsonable
from tests.formats.sample_report import make_report
from tests.schema_helpers import assert_valid_report


def report_json() -> dict[str, Any]:
    """The report exactly as the JSON format lays it out (DESIGN.md contract)."""
    report = make_report()
    return {
        "schema_version": report.schema_version,
        "tool": {"name": "compataudit", "version": report.tool_version},
        "environment": to_jsonable(report.environment),
        "findings": [to_jsonable(f) for f in report.findings],
        "smoke": [to_jsonable(r) for r in report.smoke],
        "summary": to_jsonable(report.summary),
    }


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(load_schema())
    assert json.loads(schema_text()) == load_schema()


@pytest.mark.parametrize("use_jsonschema", [True, False])
def test_shared_report_is_valid(use_jsonschema: bool) -> None:
    assert validate_report(report_json(), use_jsonschema=use_jsonschema) == []


def test_assert_helper_passes_and_fails() -> None:
    assert_valid_report(report_json())
    with pytest.raises(AssertionError, match=r"\$\.summary"):
        assert_valid_report({**report_json(), "summary": {}})


def _set(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target: Any = out
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return out


_DELETE = object()

BREAKAGES = [
    ("schema_version", 2, "$.schema_version"),
    ("tool.name", "other", "$.tool.name"),
    ("findings.0.severity", "fatal", "$.findings[0].severity"),
    ("findings.0.code", "tch1", "$.findings[0].code"),
    ("findings.0.sources", ["not a url"], "$.findings[0].sources[0]"),
    ("findings.0.components", "torch", "$.findings[0].components"),
    ("findings.0.fix", _DELETE, "$.findings[0]"),
    ("smoke.0.status", "passed", "$.smoke[0].status"),
    ("smoke.0.forward_ms", -1, "$.smoke[0].forward_ms"),
    ("summary.errors", True, "$.summary.errors"),
    ("summary.exit_code", 2, "$.summary.exit_code"),
    ("environment.python", _DELETE, "$.environment"),
    ("environment.packages.0.name", "Torch_Vision", "$.environment.packages[0].name"),
    (
        "environment.nvidia.gpus.0.compute_capability",
        "sm_80",
        "$.environment.nvidia.gpus[0].compute_capability",
    ),
    ("environment.env_vars", {"A": 1}, "$.environment.env_vars.A"),
    ("unexpected", 1, "$"),
]


@pytest.mark.parametrize("use_jsonschema", [True, False])
@pytest.mark.parametrize(("path", "value", "where"), BREAKAGES)
def test_breakages_are_reported(use_jsonschema: bool, path: str, value: Any, where: str) -> None:
    errors = validate_report(_set(report_json(), path, value), use_jsonschema=use_jsonschema)
    assert len(errors) == 1, errors
    assert errors[0].startswith(where + ":"), errors


@pytest.mark.parametrize("data", [None, [], "report", 1])
@pytest.mark.parametrize("use_jsonschema", [True, False])
def test_not_an_object(data: Any, use_jsonschema: bool) -> None:
    assert validate_report(data, use_jsonschema=use_jsonschema)


def test_schema_covers_every_model_field() -> None:
    # a new field in model.py must be added to the schema (the tests above would not notice)
    import dataclasses

    from compataudit import model

    defs = load_schema()["$defs"]
    pairs = {
        "python": model.PythonInfo,
        "platform": model.PlatformInfo,
        "package": model.Package,
        "build": model.BuildInfo,
        "gpu": model.Gpu,
        "nvidia": model.NvidiaInfo,
        "toolkit": model.ToolkitInfo,
        "environment": model.Environment,
        "finding": model.Finding,
        "smoke_result": model.SmokeResult,
        "summary": model.Summary,
        "probe_attempt": model.ProbeAttempt,
    }
    for name, cls in pairs.items():
        fields = {f.name for f in dataclasses.fields(cls)}
        assert fields == set(defs[name]["properties"]), name


def _cli(*args: str) -> tuple[int, str, str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "compataudit", *args], capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout, done.stderr


def test_schema_command_prints_the_schema() -> None:
    code, out, err = _cli("schema")
    assert code == 0, err
    assert json.loads(out) == load_schema()


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--no-smoke", "--format", "json"),  # this machine, really probed
        (
            "check",
            "--no-probe",
            "--python",
            "3.9",
            "--pin",
            "torch==2.5.1+cu124",
            "--pin",
            "torchvision==0.19.1",
            "--driver",
            "470.82.01",
            "--gpu-cc",
            "8.6",
            "--format",
            "json",
        ),
    ],
)
def test_check_json_output_is_valid(args: tuple[str, ...]) -> None:
    code, out, err = _cli(*args)
    assert code in (0, 1), err
    assert_valid_report(json.loads(out))


def test_the_exit_2_error_document_has_its_own_schema() -> None:
    import jsonschema

    from compataudit.cli.kit import json_error_document
    from compataudit.formats.schema import load_schema

    schema = load_schema()
    document = {"$ref": "#/$defs/error_document", "$defs": schema["$defs"]}
    jsonschema.Draft202012Validator(document).validate(json.loads(json_error_document("boom")))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(document).validate({"schema_version": 1, "error": {}})


def test_schema_validate_command_judges_a_real_report(tmp_path: Path) -> None:
    """`compataudit schema --validate`: a real `check -f json` report passes (exit 0); one
    broken three ways fails with each problem on its line (exit 1); bad JSON is exit 2."""
    from tests.cli_process import run

    report = tmp_path / "report.json"
    made = run("check", "--no-probe", "--pin", "torch==2.5.1+cu124", "-f", "json", "-o", str(report))
    assert made.returncode in (0, 1), made.stderr
    ok = run("schema", "--validate", str(report))
    assert ok.returncode == 0
    assert ok.stdout.strip() == f"{report}: a valid compataudit report (schema_version 1)"
    data = json.loads(report.read_text(encoding="utf-8"))
    data["summary"]["exit_code"] = 7
    del data["environment"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    bad = run("schema", "--validate", str(broken))
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0] == f"{broken}: not a valid compataudit report, 2 problem(s):"
    assert "  $: 'environment' is a required property" in bad.stdout.splitlines()
    assert any(line.startswith("  $.summary.exit_code: 7 ") for line in bad.stdout.splitlines())
    (tmp_path / "torn.json").write_text("{", encoding="utf-8")
    torn = run("schema", "--validate", str(tmp_path / "torn.json"))
    assert torn.returncode == 2 and torn.stderr.count("\n") == 1 and "not valid JSON" in torn.stderr
