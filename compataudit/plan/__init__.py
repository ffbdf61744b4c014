"""Planning and comparing: ``suggest`` a stack, ``diff`` two environments, summarise a ``fleet``.

Everything here reads the same two kinds of document: a snapshot (an
:class:`~compataudit.model.Environment` as ``compataudit snapshot`` writes it)
or a JSON report (an object with ``"environment"`` and ``"findings"``).
:func:`load_any` reads either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compataudit.errors import InputError
from compataudit.model import (
    Environment,
    Finding,
    ModelError,
    Report,
    SmokeResult,
    Summary,
    from_jsonable,
)

THIS_MACHINE = "-"


def parse_document(data: Any, name: str) -> tuple[Environment, Report | None]:
    """A parsed JSON value as (environment, report or None); InputError naming ``name``."""
    from compataudit.sources.snapshot import environment_from_json

    env = environment_from_json(data, name)  # a snapshot or a report's environment
    if not ("environment" in data and "findings" in data):
        return env, None
    try:
        return env, _report_from_json(data, env)
    except ModelError as exc:
        raise InputError(f"{name}: not a compataudit report: {exc}") from None


def _report_from_json(data: Mapping[str, Any], env: Environment) -> Report:
    findings = _list_of(Finding, data.get("findings"), "$.findings")
    smoke = _list_of(SmokeResult, data.get("smoke", []), "$.smoke")
    if isinstance(data.get("summary"), Mapping):
        summary = from_jsonable(Summary, data["summary"], "$.summary")
    else:  # a hand-trimmed report: recount
        from compataudit.audit import make_report

        summary = make_report(env, findings, smoke).summary
    tool = data.get("tool")
    version = tool.get("version") if isinstance(tool, Mapping) else data.get("tool_version")
    return Report(
        environment=env,
        findings=tuple(findings),
        smoke=tuple(smoke),
        summary=summary,
        tool_version=str(version or "unknown"),
    )


def _list_of(cls: type[Any], items: Any, path: str) -> list[Any]:
    if not isinstance(items, list):
        raise ModelError(f"{path}: expected a list, got {type(items).__name__}")
    return [from_jsonable(cls, item, f"{path}[{i}]") for i, item in enumerate(items)]


def load_any(
    path: str,
    *,
    this_machine: Callable[[], Environment] | None = None,
) -> tuple[Environment, Report | None]:
    """A snapshot or JSON report file as (environment, report or None).

    ``-`` means this machine, probed now (``this_machine`` replaces the probe in tests).
    """
    if path == THIS_MACHINE:
        if this_machine is not None:
            return this_machine(), None
        from compataudit.options import EnvOptions
        from compataudit.sources import build_environment

        return build_environment(EnvOptions()), None
    from compataudit.sources.snapshot import read_json_file

    return parse_document(read_json_file(path), path)
