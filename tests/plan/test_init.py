from __future__ import annotations

import json
from pathlib import Path

import pytest

from compataudit.audit import make_report
from compataudit.errors import InputError
from compataudit.model import Finding, Severity, SmokeResult, SmokeStatus, to_jsonable
from compataudit.plan import load_any
from tests.plan.plan_helpers import REAL_SNAPSHOT, real_env


def test_snapshot() -> None:
    env, report = load_any(str(REAL_SNAPSHOT))
    assert report is None
    assert env.package("torch") is not None and env.python.version.startswith("3.11")


def test_report_with_tool_block(tmp_path: Path) -> None:
    env = real_env()
    finding = Finding(code="NPY001", severity=Severity.ERROR, title="t", components=("numpy",))
    report = make_report(
        env, [finding], [SmokeResult("jax", "cpu", SmokeStatus.PASS, runtime=(("backend", "cpu"),))]
    )
    data = to_jsonable(report)
    data["tool"] = {"name": "compataudit", "version": "9.9.9"}  # as the JSON format writes it
    del data["tool_version"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    loaded_env, loaded = load_any(str(path))
    assert loaded is not None
    assert loaded_env == env
    assert loaded.findings == (finding,) and loaded.smoke == report.smoke
    assert loaded.summary == report.summary and loaded.tool_version == "9.9.9"


def test_this_machine_hook() -> None:
    env = real_env()
    assert load_any("-", this_machine=lambda: env) == (env, None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"environment": {}, "findings": "x"}', "not a compataudit snapshot"),
        ('{"python": {"version": 3}, "platform": {}}', "not a compataudit snapshot"),
    ],
)
def test_bad_input_is_one_line_input_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_any(str(path))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_bad_findings_in_report(tmp_path: Path) -> None:
    data = {"environment": to_jsonable(real_env()), "findings": [{"code": "X"}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="not a compataudit report"):
        load_any(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_any(str(tmp_path / "absent.json"))
