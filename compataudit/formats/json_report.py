"""The JSON report (``schema_version`` 1), the contract CI pipelines rely on."""

from __future__ import annotations

import json
from typing import Any

from compataudit.formats import RenderContext
from compataudit.model import Report, to_jsonable


def report_to_json(report: Report) -> dict[str, Any]:
    return {
        "schema_version": report.schema_version,
        "tool": {"name": "compataudit", "version": report.tool_version, "data_date": report.data_date},
        "environment": to_jsonable(report.environment),
        "findings": [to_jsonable(f) for f in report.findings],
        "smoke": [to_jsonable(r) for r in report.smoke],
        "summary": to_jsonable(report.summary),
    }


def render(report: Report, ctx: RenderContext) -> str:
    return json.dumps(report_to_json(report), indent=2)
