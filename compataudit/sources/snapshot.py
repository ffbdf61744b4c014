"""Saving and loading snapshots (an Environment as JSON).

``load_snapshot`` also accepts a JSON report (it holds the environment), so a
report from CI can be re-audited, diffed or aggregated like a snapshot.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from compataudit.errors import CompatAuditError, InputError
from compataudit.files import read_text_input
from compataudit.model import (
    REPORT_SCHEMA_VERSION,
    SNAPSHOT_SCHEMA_VERSION,
    Environment,
    ModelError,
    from_jsonable,
    to_jsonable,
)


def dump_snapshot(env: Environment) -> str:
    return json.dumps(to_jsonable(env), indent=2, sort_keys=False)


def schema_problem(data: Any) -> str | None:
    """Why this snapshot or report (a JSON object) is not one this compataudit reads - a
    ``schema_version`` that is newer or not a number, at either level - or None."""
    levels = [("report", data, REPORT_SCHEMA_VERSION)] if "environment" in data else []
    env = data.get("environment") if "environment" in data else data
    if isinstance(env, dict):
        levels.append(("snapshot", env, SNAPSHOT_SCHEMA_VERSION))
    for what, level, known in levels:
        version = level.get("schema_version", known)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            return f"{what} schema_version {version!r} is not a schema version"
        if version > known:
            return (
                f"{what} schema_version {version!r} is newer than this compataudit "
                f"understands ({known}); upgrade compataudit"
            )
    return None


def environment_from_json(data: Any, where: str) -> Environment:
    """The Environment in ``data`` (a snapshot or a report); InputError naming ``where``."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object (a snapshot or a report)")
    if "environment" in data and "findings" in data and not isinstance(data["environment"], dict):
        raise InputError(f"{where}: the report's environment is not an object")
    problem = schema_problem(data)
    if problem is not None:
        raise InputError(f"{where}: {problem}")
    if "environment" in data and "findings" in data:
        data = data["environment"]
    try:
        return from_jsonable(Environment, data)
    except ModelError as exc:
        raise InputError(f"{where}: not a compataudit snapshot: {exc}") from None


def read_json_file(path: str, what: str | None = None) -> Any:
    """The JSON value in ``path`` (``-`` is stdin); InputError (one line) when unreadable.

    ``what`` ("snapshot") prefixes the messages; without it they start with the path.
    """
    label = f"{what} {path}" if what else path
    try:
        text = read_text_input(path, what or "input")
    except CompatAuditError as exc:
        raise InputError(str(exc)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{label}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError(f"{label}: JSON nested too deeply") from None


def load_snapshot(path: str) -> Environment:
    """Read a snapshot or report file (``-`` is stdin)."""
    env = environment_from_json(read_json_file(path, "snapshot"), f"snapshot {path}")
    return replace(env, origin="snapshot")
