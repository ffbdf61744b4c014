"""Poetry's own dependency tables in a pyproject.toml, as PEP 508 requirements.

``[tool.poetry.dependencies]`` (the main group), ``[tool.poetry.group.NAME.dependencies]`` for
``--group NAME`` (``[tool.poetry.dev-dependencies]`` is the old spelling of group ``dev``), optional
dependencies through ``[tool.poetry.extras]`` and ``--extra``. Constraints follow Poetry's
documented syntax: ``^1.2`` is ``>=1.2,<2.0``, ``^0.2.3`` is ``>=0.2.3,<0.3.0``, ``~1.2`` is
``>=1.2,<1.3``, ``*`` any version, PEP 440 otherwise. A ``source`` naming a ``[[tool.poetry.source]]``
whose URL is a PyTorch index (or a local label, ``^2.3.1+cu121``) gives the build variant; of a
list of alternatives the first whose ``markers``/``platform`` hold on this machine is taken. An
``||`` constraint has no single PEP 508 form: said in a note, not audited.
"""

from __future__ import annotations

import re
from typing import Any

from compataudit.distributions import canonical_name
from compataudit.inputs import index_variant

_BARE = re.compile(r"^\d+(\.\d+)*$")


def _bound(parts: list[int], index: int) -> str:
    upper = [*parts[:index], parts[index] + 1]
    return ".".join(map(str, upper))


def split_local(constraint: str) -> tuple[str, str | None]:
    """``^2.3.1+cu121`` -> (``^2.3.1``, ``cu121``): a local label in a Poetry constraint names the
    build (Poetry matches it against the labelled releases of the source)."""
    labels = re.findall(r"\+([A-Za-z0-9.]+)", constraint)
    return re.sub(r"\+[A-Za-z0-9.]+", "", constraint), (labels[0] if labels else None)


def convert(constraint: str) -> str | None:
    """A Poetry version constraint as a PEP 440 specifier ("" for any); None when it has none."""
    text = constraint.strip()
    if "||" in text:
        return None
    out = []
    for piece in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", text):
        piece = piece.strip()
        if piece in ("", "*"):
            continue
        if piece.startswith("^") and _BARE.match(piece[1:].strip()):
            version = piece[1:].strip()
            parts = [int(p) for p in version.split(".")]
            first = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
            out.append(f">={version},<{_bound(parts, first)}")
        elif piece.startswith("~") and not piece.startswith("~=") and _BARE.match(piece[1:].strip()):
            version = piece[1:].strip()
            parts = [int(p) for p in version.split(".")]
            out.append(f">={version},<{_bound(parts, 1 if len(parts) > 1 else 0)}")
        elif _BARE.match(piece) or re.match(r"^\d+(\.\d+)*\.\*$", piece):
            out.append(f"=={piece}")
        elif re.match(r"^(==|!=|<=|>=|<|>|~=|===)\s*\S+$", piece):
            out.append(piece.replace(" ", ""))
        else:
            return None
    return ",".join(out)


def poetry_requirements(
    data: dict[str, Any], extras: tuple[str, ...], groups: tuple[str, ...]
) -> tuple[list[str], dict[str, str], list[str]]:
    """(requirement lines, distribution -> PyTorch variant, what could not be read)."""
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if not isinstance(poetry, dict):
        return [], {}, []
    sources = poetry.get("source", [])
    urls = {
        str(s.get("name")): str(s.get("url"))
        for s in (sources if isinstance(sources, list) else ())
        if isinstance(s, dict) and s.get("name") and s.get("url")
    }
    chosen_extras = {canonical_name(e) for e in extras}
    extra_table = poetry.get("extras", {})
    optional_wanted = {
        canonical_name(dep)
        for name, deps in (extra_table.items() if isinstance(extra_table, dict) else ())
        if canonical_name(name) in chosen_extras and isinstance(deps, list)
        for dep in deps
        if isinstance(dep, str)
    }
    tables = [poetry.get("dependencies", {})]
    group_tables = poetry.get("group", {})
    for group in groups:
        if canonical_name(group) == "dev" and isinstance(poetry.get("dev-dependencies"), dict):
            tables.append(poetry["dev-dependencies"])
        found = group_tables.get(group) if isinstance(group_tables, dict) else None
        if isinstance(found, dict):
            tables.append(found.get("dependencies", {}))
    lines: list[str] = []
    variants: dict[str, str] = {}
    unread: list[str] = []
    for table in tables:
        for name, value in table.items() if isinstance(table, dict) else ():
            if canonical_name(name) == "python":
                continue
            entry = _applicable(value)
            line = _line(name, entry, optional_wanted)
            if line is None:
                unread.append(f"{name} = {value!r}")
                continue
            if line:
                lines.append(line)
            source = entry.get("source") if isinstance(entry, dict) else None
            version = entry.get("version") if isinstance(entry, dict) else entry
            variant = index_variant([urls.get(str(source), "")]) if source else None
            variant = variant or (split_local(version)[1] if isinstance(version, str) else None)
            if variant:
                variants[canonical_name(name)] = variant
    return lines, variants, unread


def _marker_of(entry: dict[str, Any]) -> str | None:
    parts = []
    if isinstance(entry.get("markers"), str) and entry["markers"]:
        parts.append(f"({entry['markers']})")
    if isinstance(entry.get("platform"), str):
        parts.append(f'sys_platform == "{entry["platform"]}"')
    return " and ".join(parts) or None


def _applicable(value: object) -> object:
    """One entry, or the first of a list of alternatives whose markers hold on this machine."""
    if not isinstance(value, list):
        return value
    from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName

    for entry in value:
        marker = _marker_of(entry) if isinstance(entry, dict) else None
        try:
            if marker is None or Marker(marker).evaluate():
                return entry
        except (InvalidMarker, UndefinedEnvironmentName):
            continue
    return ""  # no alternative applies here: not installed


def _line(name: str, value: object, optional_wanted: set[str]) -> str | None:
    """The PEP 508 line of one entry; "" when it is not installed (an optional one not asked for)."""
    if value == "":
        return ""
    if isinstance(value, str):
        spec = convert(split_local(value)[0])
        return None if spec is None else f"{name}{spec}"
    if not isinstance(value, dict):
        return None  # a list of alternatives
    if value.get("optional") and canonical_name(name) not in optional_wanted:
        return ""
    if "version" not in value:
        return "" if ("path" in value or "git" in value or "url" in value) else name
    spec = convert(split_local(str(value["version"]))[0])
    if spec is None:
        return None
    extras = value.get("extras")
    label = f"{name}[{','.join(extras)}]" if isinstance(extras, list) and extras else name
    marker = _marker_of(value)
    return f"{label}{spec}" + (f" ; {marker}" if marker else "")
