"""CI version sets (`compataudit matrix compatible`) in each output format."""

from __future__ import annotations

from collections.abc import Iterable

from compataudit.distributions import canonical_name
from compataudit.errors import UsageError
from compataudit.plan.ci_matrix import VersionSet, cell_id
from compataudit.render import table


def render_sets(sets: list[VersionSet], fmt: str, packages: Iterable[str]) -> str:
    """``sets`` as json (a list), github (``{"include": [...]}``), nox (a decorator) or table."""
    import json

    names = [canonical_name(p) for p in dict.fromkeys(packages)]
    if fmt == "json":
        return json.dumps(sets, indent=2)
    if fmt == "github":
        return json.dumps({"include": sets}, indent=2)
    if fmt == "nox":
        return _nox_snippet(sets, names)
    if fmt == "table":
        return _table(sets, names)
    raise UsageError(f"--format {fmt}: must be one of json, github, nox, table")


def _nox_snippet(sets: list[VersionSet], names: list[str]) -> str:
    import json

    def tup(items: Iterable[str]) -> str:
        quoted = [json.dumps(i) for i in items]
        return f"({quoted[0]},)" if len(quoted) == 1 else f"({', '.join(quoted)})"

    lines = ["@nox.parametrize(", f"    {tup(n.replace('-', '_') for n in names)},", "    ["]
    lines += [f"        {tup(s[n] for n in names)}," for s in sets]
    lines += ["    ],", "    ids=["]
    lines += [f"        {json.dumps(cell_id(s))}," for s in sets]
    lines += ["    ],", ")"]
    return "\n".join(lines)


def _table(sets: list[VersionSet], names: list[str]) -> str:
    if not sets:
        return "no compatible sets"
    return "\n".join(table([[s[n] for n in names] for s in sets], header=names))
