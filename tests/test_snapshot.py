"""Snapshots: written by one machine, read by another; bad files are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compataudit.audit import make_report
from compataudit.errors import InputError
from compataudit.formats.json_report import report_to_json
from compataudit.sources.snapshot import dump_snapshot, load_snapshot
from compataudit.sources.whatif import empty_environment


def test_round_trip(tmp_path: Path) -> None:
    env = empty_environment()
    path = tmp_path / "snap.json"
    path.write_text(dump_snapshot(env))
    loaded = load_snapshot(str(path))
    assert loaded.origin == "snapshot" and loaded.python == env.python


def test_a_report_is_accepted_as_a_snapshot(tmp_path: Path) -> None:
    env = empty_environment()
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report_to_json(make_report(env, [], []))))
    assert load_snapshot(str(path)).platform == env.platform


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "expected a JSON object"),
        (
            '{"python": {"version": 3}, "platform": {"system": "Linux", "machine": "x86_64"}}',
            "$.python.version: expected str",
        ),
        ('{"platform": {"system": "Linux", "machine": "x86_64"}}', "missing required field 'python'"),
        ('{"schema_version": 99, "python": {"version": "3.11"}}', "newer than this compataudit"),
        (
            '{"python": {"version": "3.11"}, "platform": {"system": "Linux", "machine": "x"},'
            ' "nvidia": {"status": "sideways"}}',
            "is not one of",
        ),
    ],
)
def test_malformed_snapshots(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(body)
    with pytest.raises(InputError) as info:
        load_snapshot(str(path))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_snapshot(str(tmp_path / "missing.json"))
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        load_snapshot(str(binary))


@pytest.mark.parametrize(
    ("top", "env_version", "says"),
    [
        (None, 2, "snapshot schema_version 2 is newer"),
        (None, "1", "is not a schema version"),
        (None, True, "is not a schema version"),
        (99, 1, "report schema_version 99 is newer"),
        ("1", 1, "report schema_version '1' is not a schema version"),
    ],
)
def test_a_schema_version_is_judged_at_both_levels(top: object, env_version: object, says: str) -> None:
    from compataudit.sources.snapshot import environment_from_json, schema_problem

    env = json.loads(dump_snapshot(empty_environment()))
    env["schema_version"] = env_version
    data = env if top is None else {"schema_version": top, "environment": env, "findings": []}
    assert says in (schema_problem(data) or "")
    with pytest.raises(InputError, match="schema_version"):
        environment_from_json(data, "x.json")
