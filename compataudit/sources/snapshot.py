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
    SNAPSHOT_SCHEMA_VERSION,
    Environment,
    ModelError,
    from_jsonable,
    to_jsonable,
)


def dump_snapshot(env: Environment) -> str:
    return json.dumps(to_jsonable(env), indent=2, sort_keys=False)


def environment_from_json(data: Any, where: str) -> Environment:
    """The Environment in ``data`` (a snapshot or a report); InputError naming ``where``."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object (a snapshot or a report)")
    if "environment" in data and "findings" in data:
        data = data["environment"]
        if not isinstance(data, dict):
            raise InputError(f"{where}: the report's environment is not an object")
    version = data.get("schema_version", SNAPSHOT_SCHEMA_VERSION)
    if not isinstance(version, int) or version > SNAPSHOT_SCHEMA_VERSION:
        raise InputError(
            f"{where}: snapshot schema_version {version!r} is newer than this compataudit "
            f"understands ({SNAPSHOT_SCHEMA_VERSION}); upgrade compataudit"
        )
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
