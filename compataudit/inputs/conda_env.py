"""Conda ``environment.yml``: the conda dependencies (match specs) and the ``pip:`` section.

``pytorch=2.1.0=py3.11_cuda12.1_cudnn8.9.2_0`` pins torch with its build;
``pytorch-cuda=12.1`` or ``cpuonly`` choose the pytorch channel's variant;
``python=3.11`` fixes the interpreter. A conda version is exact when it is
``==X`` or names all three components (``=2.1.0``); ``=2.1`` means ``2.1.*``
and is listed as not audited. Pip lines are exact pins (``==``), and ``-r
FILE`` includes a requirements file next to the environment file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from compataudit.distributions import CONDA_CUDA, canonical_name
from compataudit.errors import InputError
from compataudit.inputs import Pin, StackFile, index_variant, where, with_index_variant
from compataudit.probes.conda import FRAMEWORKS, build_facts
from compataudit.sanitise import clean

_SPEC = re.compile(r"^\s*(?:(?P<channel>[^\s:]+)::)?(?P<name>[A-Za-z0-9_.-]+)\s*(?P<rest>.*?)\s*$")
_TAIL = re.compile(r"^(?:$|=|[<>!~]|\d|\[|\*)")  # what may follow a package name
_EXACT = re.compile(r"^\d+(\.\d+){2,}([a-z0-9.+]*)$")


def read(path: str, text: str, kind: str) -> StackFile:
    """The pins and Python of conda environment file ``path`` (or a ``conda list --export`` /
    ``--explicit`` spec file, kind ``conda-spec``)."""
    lines = text.splitlines()
    if kind == "conda-spec":
        specs = _spec_file_lines(lines)
        return _read_dependencies(path, kind, list(specs), lines, specs.get)
    data = _yaml(path, text)
    dependencies = data.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise InputError(f"{path}: 'dependencies' is not a list")
    for item in dependencies:
        pip = item.get("pip") if isinstance(item, dict) else None
        if not isinstance(item, (str, int, float, dict)) or not isinstance(pip, (list, type(None))):
            raise InputError(f"{path}: not a conda package spec or a pip list: {clean(str(item)[:80])}")
        if pip and not all(isinstance(line, (str, int, float)) for line in pip):
            raise InputError(f"{path}: the pip section holds something other than requirement lines")
    index = _line_index(lines)
    return _read_dependencies(path, kind, dependencies, lines, lambda spec: _line_of(lines, spec, index))


def _spec_file_lines(lines: list[str]) -> dict[str, int]:
    """``name=version=build`` per line of a spec file; ``@EXPLICIT`` URLs become the same form."""
    specs: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("@"):
            continue
        if "://" in line:  # .../pytorch-2.1.0-py3.11_cuda12.1_cudnn8.9.2_0.tar.bz2#md5
            filename = line.split("#", 1)[0].rsplit("/", 1)[-1]
            stem = filename.removesuffix(".tar.bz2").removesuffix(".conda")
            parts = stem.rsplit("-", 2)
            line = "=".join(parts) if len(parts) == 3 else stem
        specs.setdefault(line, number)
    return specs


def _read_dependencies(
    path: str,
    kind: str,
    dependencies: list[Any],
    lines: list[str],
    line_of: Callable[[str], int | None],
) -> StackFile:
    pins: list[Pin] = []
    pip_pins: list[Pin] = []
    skipped: list[str] = []
    notes: list[str] = []
    python = None
    variant_cuda: str | None = None
    cpu_only = False
    index = _line_index(lines)
    for item in dependencies:
        if isinstance(item, dict):
            for pip_line in item.get("pip") or ():
                _pip_line(path, str(pip_line), lines, pip_pins, skipped, notes, index)
            continue
        spec = str(item)
        match = _SPEC.match(spec)
        at = where(path, line_of(spec))
        if match is None or not _TAIL.match(match.group("rest")):
            raise InputError(f"{at}: not a conda package spec: {spec!r}")
        name = match.group("name").lower()
        version, build, exact = _version_and_build(match.group("rest"))
        if name == "python" and version:
            python = version.rstrip(".*")
        elif name == "cpuonly":
            cpu_only = True
        elif name in CONDA_CUDA and version:
            if name == "pytorch-cuda" or (name == "cudatoolkit" and variant_cuda is None):
                # pytorch-cuda=X.Y (or cudatoolkit=X.Y before it existed) picks pytorch's build
                variant_cuda = ".".join(version.rstrip(".*").split(".")[:2])
            pins.append(Pin(name=name, version=version, where=at, channel=match.group("channel") or "conda"))
        elif name in FRAMEWORKS:
            if exact is None:
                skipped.append(f"{spec} ({at})")
                continue
            facts = build_facts(name, exact, build or "", at)
            pins.append(
                Pin(
                    name=FRAMEWORKS[name],
                    version=exact,
                    where=at,
                    channel=match.group("channel") or "conda",  # installed by conda
                    build=facts,
                )
            )
    pins = [_with_variant(p, variant_cuda, cpu_only) for p in pins]
    # The pip section runs after conda: a distribution it pins replaces conda's package.
    pip_options = [str(o) for item in dependencies if isinstance(item, dict) for o in item.get("pip") or ()]
    pip_pins = with_index_variant(pip_pins, index_variant(pip_options))  # …/whl/cu121 in the section
    by_pip = {p.name: p for p in pip_pins}
    notes.extend(
        f"{by_pip[pin.name].where}: pip installs {pin.name}=={by_pip[pin.name].version} "
        f"over the conda package ({pin.version} at {pin.where})"
        for pin in pins
        if pin.name in by_pip
    )
    pins = [p for p in pins if p.name not in by_pip] + pip_pins
    if skipped:
        notes.append(f"{path}: not an exact version, not audited: " + ", ".join(skipped))
    return StackFile(path=path, kind=kind, pins=tuple(pins), python=python, notes=tuple(notes))


def _version_and_build(rest: str) -> tuple[str | None, str | None, str | None]:
    """(version, build, exact version) of a match spec's tail: ``=2.1.0=py3.11_…``, ``==2.1.0``,
    ``2.1.0 py3.11_…``; ranges (``>=2.1``) give no version."""
    if rest.startswith("=="):
        version = rest[2:].split("=", 1)[0].split()[0] if rest[2:].strip() else None
        return version, None, version
    if rest.startswith("="):
        parts = rest[1:].split("=", 1)
        version, build = parts[0].strip() or None, parts[1].strip() if len(parts) > 1 else None
    elif rest[:1].isdigit():
        parts = rest.split(None, 1)
        version, build = parts[0], parts[1] if len(parts) > 1 else None
    else:
        return None, None, None
    exact = version if version and _EXACT.match(version) else None
    return version, build, exact


def _yaml(path: str, text: str) -> dict[str, Any]:
    import yaml

    try:
        data = _bounded_load(text)
    except RecursionError:
        raise InputError(f"{path}: not valid YAML: nested too deeply") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{line}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a conda environment file (no 'dependencies' mapping)")
    return data


# A conda environment file has no use for many YAML aliases; a "billion laughs" file
# has a handful of anchors each repeated many times.
MAX_YAML_ALIASES = 100


def _bounded_load(text: str) -> Any:
    """``text`` parsed by a safe loader with at most MAX_YAML_ALIASES aliases: libyaml's
    when PyYAML has it (ten times faster on a file of 20,000 dependencies; it also caps
    nesting at 1,000 levels), else the pure-Python loader."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is None:
        return yaml.load(text, Loader=_bounded_loader())
    aliases = sum(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=fast))
    if aliases > MAX_YAML_ALIASES:
        raise yaml.YAMLError(f"more than {MAX_YAML_ALIASES} aliases")
    return yaml.load(text, Loader=fast)


def _bounded_loader() -> Any:
    """A PyYAML SafeLoader that refuses more than MAX_YAML_ALIASES aliases."""
    import yaml

    class BoundedLoader(yaml.SafeLoader):  # type: ignore[misc,unused-ignore]
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_YAML_ALIASES:
                    raise yaml.YAMLError(f"more than {MAX_YAML_ALIASES} aliases")
            return super().compose_node(parent, index)

    return BoundedLoader


def _line_index(lines: list[str]) -> dict[str, int]:
    """The first line of each list item (``- numpy=1.26``, ``- "numpy=1.26"``), by its text:
    one pass, so that a file of 20,000 dependencies does not take 20,000 scans."""
    index: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        body = line.split("#", 1)[0].strip()
        if body.startswith("-"):
            index.setdefault(body[1:].strip().strip("'\""), number)
    return index


# A file longer than this is not scanned line by line for an item the index misses.
_SCAN_LIMIT = 2000


def _line_of(lines: list[str], item: str, index: dict[str, int] | None = None) -> int | None:
    if index is not None:
        found = index.get(item.strip())
        if found is not None or len(lines) > _SCAN_LIMIT:
            return found
    for number in range(len(lines)):
        body = lines[number].split("#", 1)[0]
        if item in body and body.lstrip().startswith("-"):
            return number + 1
    return None


def _with_variant(pin: Pin, variant_cuda: str | None, cpu_only: bool) -> Pin:
    """The pytorch channel picks torch's variant with ``pytorch-cuda=X.Y`` or ``cpuonly``."""
    if pin.name != "torch" or pin.build is not None or not (variant_cuda or cpu_only):
        return pin
    facts = build_facts("pytorch", pin.version, "cpu" if cpu_only else f"cuda{variant_cuda}", pin.where)
    return replace(pin, build=facts)


def _pip_line(
    path: str,
    line: str,
    lines: list[str],
    pins: list[Pin],
    skipped: list[str],
    notes: list[str],
    index: dict[str, int] | None = None,
) -> None:
    at = where(path, _line_of(lines, line, index))
    stripped = line.strip()
    if stripped.startswith(("-r ", "--requirement ", "-r=", "--requirement=")):
        from compataudit.inputs import read_stack_file

        target = re.split(r"[\s=]+", stripped, maxsplit=1)[1].strip()
        nested = read_stack_file(str(Path(path).parent / target))
        pins.extend(nested.pins)
        notes.extend(nested.notes)
        return
    if stripped.startswith("-"):
        return  # --index-url, --extra-index-url, -e …: nothing to audit
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(stripped)
    except InvalidRequirement as exc:
        raise InputError(f"{at}: not a pip requirement: {stripped!r} ({exc})") from None
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        pins.append(
            Pin(
                name=canonical_name(req.name),
                version=specs[0].version,
                where=at,
                marker=str(req.marker) if req.marker else None,
            )
        )
    else:
        skipped.append(f"{stripped} ({at})")
