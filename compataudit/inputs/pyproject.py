"""``pyproject.toml``: the requirements a project installs, as pip and uv read them.

``[project].dependencies`` always; ``[project.optional-dependencies]`` for each ``--extra NAME``
(an extra that names the project itself, ``all = ["proj[cuda,dev]"]``, is followed);
``[dependency-groups]`` (PEP 735) for each ``--group NAME``, with ``{include-group = …}``; a
Poetry project without PEP 621 dependencies is read from ``[tool.poetry.dependencies]``
(:mod:`compataudit.inputs.poetry_deps`).
uv's ``[tool.uv.sources]`` pointing torch at an ``[[tool.uv.index]]`` whose URL is a PyTorch
wheel index gives the build variant (``…/whl/cu126`` -> ``+cu126``), and its
``override-dependencies`` replace the requirements on their names. Exact versions are pins;
the rest are requirements resolved later as the installer would. Read with tomllib.
"""

from __future__ import annotations

from typing import Any

from compataudit.distributions import canonical_name
from compataudit.errors import InputError
from compataudit.inputs import Pin, StackFile, Want, index_variant, where


def read(
    path: str, text: str, kind: str, *, extras: tuple[str, ...] = (), groups: tuple[str, ...] = ()
) -> StackFile:
    """The requirements of ``path`` with the chosen extras and dependency groups."""
    from compataudit.inputs.locks import _toml

    data = _toml(path, text)
    project = _table(path, data, "project")
    name = canonical_name(str(project.get("name") or "")) if project.get("name") else None
    poetry = _poetry(data)
    if poetry is not None and not project.get("dependencies"):
        # A Poetry project without PEP 621 dependencies: Poetry's own tables say what it installs.
        from compataudit.inputs.poetry_deps import poetry_requirements

        _check_poetry_names(path, poetry, extras, groups)
        lines, variants, unread = poetry_requirements(data, extras, groups)
        name = canonical_name(str(poetry.get("name") or name or "")) or None
    else:
        lines = _strings(path, project.get("dependencies", []), "[project].dependencies")
        optional = _table(path, project, "optional-dependencies")
        lines += _extras(path, optional, extras, name)
        lines += _groups(path, _table(path, data, "dependency-groups"), groups)
        variants, unread = {}, []
    variants = {**variants, **_uv_variants(data, extras)}
    lines = _with_overrides(path, data, lines)
    pins: list[Pin] = []
    wants: list[Want] = []
    skipped: list[str] = []
    text_lines = text.splitlines()
    for line in lines:
        _collect(path, line, _line_of(text_lines, line), name, variants, pins, wants, skipped)
    notes: tuple[str, ...] = ()
    if not project and not groups and poetry is None:
        notes = (f"{path}: no [project] table; only [dependency-groups] named with --group are read",)
    if unread:
        notes += (
            f"{path}: Poetry constraints with no single PEP 508 form, not audited: " + ", ".join(unread),
        )
    if skipped:
        notes += (f"{path}: {len(skipped)} requirement(s) compataudit cannot read: " + ", ".join(skipped),)
    requires_python = project.get("requires-python")
    return StackFile(
        path=path,
        kind=kind,
        pins=tuple(pins),
        wants=tuple(wants),
        requires_python=requires_python if isinstance(requires_python, str) else None,
        notes=notes,
    )


def _poetry(data: dict[str, Any]) -> dict[str, Any] | None:
    """``[tool.poetry]`` when it has a dependencies table of its own."""
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict) and isinstance(poetry.get("dependencies"), dict):
        return poetry
    return None


def _check_poetry_names(
    path: str, poetry: dict[str, Any], extras: tuple[str, ...], groups: tuple[str, ...]
) -> None:
    found = poetry.get("extras")
    known_extras: dict[str, Any] = found if isinstance(found, dict) else {}
    for extra in extras:
        if canonical_name(extra) not in {canonical_name(k) for k in known_extras}:
            choices = ", ".join(sorted(known_extras)) or "none"
            raise InputError(
                f"{path}: --extra {extra}: no such extra in [tool.poetry.extras] (it has: {choices})"
            )
    known_groups = set(poetry.get("group") or {}) | ({"dev"} if "dev-dependencies" in poetry else set())
    for group in groups:
        if group not in known_groups:
            choices = ", ".join(sorted(known_groups)) or "none"
            raise InputError(f"{path}: --group {group}: no such Poetry group (it has: {choices})")


def _table(path: str, data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{path}: [{key}] must be a table")
    return value


def _strings(path: str, value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{path}: {what} must be a list of requirement strings")
    return list(value)


def _extras(path: str, optional: dict[str, Any], wanted: tuple[str, ...], project: str | None) -> list[str]:
    known = {canonical_name(k): k for k in optional}
    out: list[str] = []
    todo, seen = [canonical_name(e) for e in wanted], set()
    while todo:
        extra = todo.pop(0)
        if extra in seen:
            continue
        seen.add(extra)
        if extra not in known:
            choices = ", ".join(sorted(optional)) or "none"
            raise InputError(f"{path}: --extra {extra}: no such optional dependency (it has: {choices})")
        for line in _strings(path, optional[known[extra]], f"optional-dependencies.{known[extra]}"):
            from packaging.requirements import InvalidRequirement, Requirement

            try:
                req = Requirement(line)
            except InvalidRequirement:
                out.append(line)
                continue
            if project and canonical_name(req.name) == project:
                todo.extend(canonical_name(e) for e in req.extras)  # all = ["proj[cuda,dev]"]
            else:
                out.append(line)
    return out


def _groups(path: str, table: dict[str, Any], wanted: tuple[str, ...]) -> list[str]:
    known = {canonical_name(k): k for k in table}
    out: list[str] = []

    def add(group: str, chain: tuple[str, ...]) -> None:
        if group in chain:
            raise InputError(f"{path}: dependency groups include each other: {' → '.join((*chain, group))}")
        if group not in known:
            choices = ", ".join(sorted(table)) or "none"
            raise InputError(f"{path}: --group {group}: no such dependency group (it has: {choices})")
        entries = table[known[group]]
        if not isinstance(entries, list):
            raise InputError(f"{path}: [dependency-groups].{known[group]} must be a list")
        for entry in entries:
            if isinstance(entry, str):
                out.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
                add(canonical_name(entry["include-group"]), (*chain, group))
            else:
                raise InputError(
                    f"{path}: [dependency-groups].{known[group]}: {entry!r} is not a requirement"
                )

    for group in wanted:
        add(canonical_name(group), ())
    return out


def _with_overrides(path: str, data: dict[str, Any], lines: list[str]) -> list[str]:
    """uv's ``override-dependencies`` replace every requirement on their names (uv reads them)."""
    tool = data.get("tool")
    uv = tool.get("uv") if isinstance(tool, dict) else None
    overrides = uv.get("override-dependencies") if isinstance(uv, dict) else None
    if not overrides:
        return lines
    from packaging.requirements import InvalidRequirement, Requirement

    replaced = {}
    for line in _strings(path, overrides, "[tool.uv].override-dependencies"):
        try:
            replaced[canonical_name(Requirement(line).name)] = line
        except InvalidRequirement:
            raise InputError(
                f"{path}: [tool.uv].override-dependencies: {line!r} is not a requirement"
            ) from None
    kept = []
    for line in lines:
        try:
            name = canonical_name(Requirement(line).name)
        except InvalidRequirement:
            kept.append(line)
            continue
        if name not in replaced:
            kept.append(line)
    return kept + list(replaced.values())


def _uv_variants(data: dict[str, Any], extras: tuple[str, ...]) -> dict[str, str]:
    """Distribution -> the PyTorch build variant its ``[tool.uv.sources]`` index serves.

    A source that names an ``extra`` counts only with that ``--extra``; one with a ``marker`` only
    where the marker holds on this machine (the one whose GPU side is audited).
    """
    uv = data.get("tool", {}).get("uv", {}) if isinstance(data.get("tool"), dict) else {}
    if not isinstance(uv, dict):
        return {}
    indexes = uv.get("index", [])
    urls = {
        str(i.get("name")): str(i.get("url"))
        for i in (indexes if isinstance(indexes, list) else ())
        if isinstance(i, dict) and i.get("name") and i.get("url")
    }
    out: dict[str, str] = {}
    sources = uv.get("sources", {})
    for name, source in sources.items() if isinstance(sources, dict) else ():
        # One source, or a list split by markers or extras (cpu on macOS, cu126 on Linux):
        # the first that applies decides.
        entries = source if isinstance(source, list) else [source]
        for entry in entries:
            if not (isinstance(entry, dict) and isinstance(entry.get("index"), str)):
                continue
            if not _source_applies(entry, extras):
                continue
            variant = index_variant([urls.get(entry["index"], "")])
            if variant:
                out[canonical_name(name)] = variant
            break
    return out


def _source_applies(entry: dict[str, Any], extras: tuple[str, ...]) -> bool:
    extra = entry.get("extra")
    if isinstance(extra, str) and canonical_name(extra) not in {canonical_name(e) for e in extras}:
        return False
    marker = entry.get("marker")
    if not isinstance(marker, str):
        return True
    from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName

    try:
        parsed = Marker(marker)
        return any(parsed.evaluate({"extra": e}) for e in (extras or ("",)))
    except (InvalidMarker, UndefinedEnvironmentName):
        return False


def _line_of(lines: list[str], requirement: str) -> int | None:
    for number, raw in enumerate(lines, start=1):
        if f'"{requirement}"' in raw or f"'{requirement}'" in raw:
            return number
    return None


def _collect(
    path: str,
    line: str,
    number: int | None,
    project: str | None,
    variants: dict[str, str],
    pins: list[Pin],
    wants: list[Want],
    skipped: list[str],
) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    at = where(path, number)
    try:
        req = Requirement(line)
    except InvalidRequirement:
        skipped.append(f"{line!r} ({at})")
        return
    name = canonical_name(req.name)
    if name == project or req.url:
        return  # the project itself, or a direct URL: nothing to resolve
    marker = str(req.marker) if req.marker else None
    specs = list(req.specifier)
    variant = variants.get(name)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        version = specs[0].version
        if variant and "+" not in version:
            version = f"{version}+{variant}"
        pins.append(Pin(name=name, version=version, where=at, marker=marker))
        return
    wants.append(Want(name, str(req.specifier), at, line, tuple(sorted(req.extras)), marker, variant))
