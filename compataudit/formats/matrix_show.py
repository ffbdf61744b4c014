"""The compatibility data (`compataudit matrix show`): an overview of the files, or one file's tables."""

from __future__ import annotations

import json
from typing import Any

from compataudit.render import table as render_table


def _tables(content: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        k: v for k, v in content.items() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)
    }


def render_overview(data: Any, fmt: str) -> str:
    summary = {
        name: {table: len(rows) for table, rows in _tables(data.get(name)).items()} for name in data.names()
    }
    if fmt == "json":
        return json.dumps({"directory": str(data.directory), "files": summary}, indent=2)
    lines = [f"compatibility data in {data.directory}", ""]
    for name, tables in summary.items():
        counts = ", ".join(f"[[{t}]] {n}" for t, n in tables.items())
        lines.append(f"  {name:<12} {counts}")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_cell(v) if not isinstance(v, list) else "/".join(map(str, v)) for v in value)
    return str(value)


def render_file(content: dict[str, Any]) -> str:
    out = []
    for table, rows in _tables(content).items():
        columns = [c for c in dict.fromkeys(k for r in rows for k in r) if c not in ("source", "sources")]
        cells = [columns] + [[_cell(r.get(c, ""))[:40] for c in columns] for r in rows]
        out.append(f"[[{table}]]")
        out.extend(render_table(cells))
        out.append("")
    return "\n".join(out).rstrip()
