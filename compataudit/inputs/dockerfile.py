"""Dockerfiles and Containerfiles: the final stage's base image and its ``pip install`` lines.

The stage chain is followed through ``FROM stage`` (ARG / ENV values substituted), with
continuations, comment lines and heredocs as Docker reads them. The base image says what it
fixes (:mod:`compataudit.inputs.images`). ``pip install`` in RUN (also ``python -m pip``,
``uv pip``) adds exact pins at their line; ``-r FILE`` is read from the build context next to
the Dockerfile; a PyTorch ``--index-url`` gives its variant. A pip install of a framework, or
of a companion without ``--no-deps``, over a base image that ships the framework is said in a
note: pip replaces the image's build with the index's.
"""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from compataudit.distributions import canonical_name
from compataudit.inputs import (
    Pin,
    StackFile,
    Want,
    index_variant,
    wants_with_variant,
    where,
    with_index_variant,
)
from compataudit.inputs.images import BaseImage, describe_image

_CONTINUATION = re.compile(r"\\\s*$")
_HEREDOC = re.compile(r"<<-?\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_SPLIT = re.compile(r"&&|\|\||;|\n|\|")
_PIP = re.compile(r"^(?:.*/)?pip(?:\d+(?:\.\d+)?)?$")
_PYTHON = re.compile(r"^(?:.*/)?python(?:\d+(?:\.\d+)?)?$")
# pip install options that take a value (their value is not a requirement)
_VALUED = {
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--src",
    "--upgrade-strategy",
    "--progress-bar",
    "--trusted-host",
    "--cache-dir",
    "--log",
    "--timeout",
    "--retries",
    "--proxy",
    "--cert",
    "--client-cert",
    "--exists-action",
    "--global-option",
    "-C",
    "--config-settings",
    "--report",
    "-e",
    "--editable",
    "--only-binary",
    "--no-binary",
    "--python",
}
_TOOLING = {"pip", "setuptools", "wheel", "uv"}  # `pip install -U pip` is not about the stack
_FRAMEWORK_FAMILIES = {
    "torch": ("torch", "torchvision", "torchaudio", "xformers"),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tf-keras"),  # Keras 3 needs no TensorFlow
}


@dataclass
class _Stage:
    base: str
    line: int
    alias: str | None
    pins: list[Pin] = field(default_factory=list)
    wants: list[Want] = field(default_factory=list)
    pip_lines: list[tuple[int, list[str], bool]] = field(default_factory=list)  # line, reqs, no-deps
    notes: list[str] = field(default_factory=list)


def read(path: str, text: str, kind: str) -> StackFile:
    """The final stage of Dockerfile ``path``: its base image and pip installs."""
    stages = _stages(path, text)
    if not stages:
        from compataudit.errors import InputError

        raise InputError(f"{path}: no FROM instruction: not a Dockerfile")
    chain = _chain(stages)
    image = describe_image(chain[0].base, where(path, chain[0].line))
    pins: list[Pin] = list(image.pins)
    notes: list[str] = [image.note] if image.note else []
    base_versions = {p.name: p.version for p in image.pins}
    wants: list[Want] = []
    for stage in chain:
        notes.extend(stage.notes)
        wants.extend(stage.wants)
        for line, names, no_deps in stage.pip_lines:
            same = _keeps_base(stage.pins, image.framework, base_versions)
            notes.extend(_replacement_notes(path, line, names, no_deps, image, base_versions, same))
        for pin in stage.pins:
            if _keeps_base([pin], image.framework, base_versions):
                continue  # already satisfied: the image's own build stays
            pins = [p for p in pins if p.name != pin.name] + [pin]
    return StackFile(
        path=path,
        kind=kind,
        pins=tuple(pins),
        wants=tuple(wants),
        python=image.python,
        system_cuda=image.system_cuda,
        system_cudnn=image.system_cudnn,
        ngc_release=image.ngc[1] if image.ngc else None,
        ngc_container=image.ngc[0] if image.ngc else None,
        base_where=where(path, chain[0].line),
        notes=tuple(notes),
    )


def _keeps_base(pins: list[Pin], framework: str | None, base_versions: dict[str, str]) -> bool:
    """Whether the stage pins the framework at the version the base image already has."""
    from compataudit.versions import parse_version

    base = parse_version(base_versions.get(framework or ""))
    pinned = next((parse_version(p.version) for p in pins if p.name == framework), None)
    return (
        base is not None and pinned is not None and parse_version(base.public) == parse_version(pinned.public)
    )


def _replacement_notes(
    path: str,
    line: int,
    names: list[str],
    no_deps: bool,
    image: BaseImage,
    base_versions: dict[str, str],
    keeps_base: bool,
) -> list[str]:
    family = _FRAMEWORK_FAMILIES.get(image.framework or "", ())
    at = where(path, line)
    base = base_versions.get(image.framework or "") or (f"NGC {image.ngc[1]}" if image.ngc else None)
    if not family or base is None:
        return []
    if image.framework in names:
        if keeps_base:
            return []  # pip finds the requirement already satisfied
        return [
            f"{at}: pip install {image.framework} replaces the base image's {image.framework} "
            f"({base}) with the package index's build"
        ]
    companions = [n for n in names if n in family]
    if companions and not no_deps:
        return [
            f"{at}: pip install {', '.join(companions)} without --no-deps may replace the base "
            f"image's {image.framework} ({base}) with the version {companions[0]} requires; "
            f"pin {image.framework} in the same command or use --no-deps"
        ]
    return []


def _chain(stages: list[_Stage]) -> list[_Stage]:
    """The final stage and the stages it is built FROM, base first."""
    by_alias = {s.alias: s for s in stages if s.alias}
    chain = [stages[-1]]
    while chain[0].base.lower() in by_alias and by_alias[chain[0].base.lower()] not in chain:
        chain.insert(0, by_alias[chain[0].base.lower()])
    return chain


def _instructions(text: str) -> list[tuple[int, str, str]]:
    """(first line, KEYWORD, arguments) of each instruction; continuations and heredocs joined."""
    out: list[tuple[int, str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start, raw = i + 1, lines[i]
        i += 1
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = [raw]
        while _CONTINUATION.search(parts[-1]) and i < len(lines):
            parts[-1] = _CONTINUATION.sub(" ", parts[-1])
            if not lines[i].lstrip().startswith("#"):
                parts.append(lines[i])
            i += 1
        joined = " ".join(parts)
        heredoc = _HEREDOC.search(joined)
        if heredoc:
            body = []
            while i < len(lines) and lines[i].strip() != heredoc.group(1):
                body.append(lines[i])
                i += 1
            i += 1
            joined = _HEREDOC.sub(" ", joined) + "\n" + "\n".join(body)
        keyword, _, args = joined.strip().partition(" ")
        out.append((start, keyword.upper(), args.strip()))
    return out


def _substitute(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return values.get(name, match.group(2) or "")

    return _VAR.sub(one, text)


def _stages(path: str, text: str) -> list[_Stage]:
    stages: list[_Stage] = []
    args: dict[str, str] = {}
    lines = text.splitlines()
    for line, keyword, rest in _instructions(text):
        if keyword in ("ARG", "ENV"):
            for token in _safe_split(rest):
                name, sep, value = token.partition("=")
                if sep:
                    args[name] = value
        elif keyword == "FROM":
            tokens = [t for t in _substitute(rest, args).split() if not t.startswith("--platform")]
            if tokens:
                alias = tokens[2].lower() if len(tokens) >= 3 and tokens[1].upper() == "AS" else None
                stages.append(_Stage(base=tokens[0], line=line, alias=alias))
        elif keyword == "RUN" and stages:
            _read_run(path, line, _substitute(rest, args), lines, stages[-1])
    return stages


def _safe_split(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=False)
    except ValueError:
        return text.split()


def _read_run(path: str, line: int, command: str, lines: list[str], stage: _Stage) -> None:
    for part in _SPLIT.split(command):
        tokens = _safe_split(part)
        while tokens and (("=" in tokens[0] and not tokens[0].startswith("-")) or tokens[0] == "sudo"):
            tokens = tokens[1:]  # VAR=value prefixes, sudo
        args = _pip_install_args(tokens)
        if args is not None:
            _read_pip_install(path, line, args, lines, stage)


def _pip_install_args(tokens: list[str]) -> list[str] | None:
    if len(tokens) >= 2 and _PIP.match(tokens[0]) and tokens[1] == "install":
        return tokens[2:]
    if len(tokens) >= 4 and _PYTHON.match(tokens[0]) and tokens[1:4] == ["-m", "pip", "install"]:
        return tokens[4:]
    if len(tokens) >= 3 and tokens[0].endswith("uv") and tokens[1:3] == ["pip", "install"]:
        return tokens[3:]
    return None


def _read_pip_install(path: str, line: int, args: list[str], lines: list[str], stage: _Stage) -> None:
    from packaging.requirements import InvalidRequirement, Requirement

    no_deps = "--no-deps" in args
    names: list[str] = []
    first_line: int | None = None
    index_urls = [v for o, v in itertools.pairwise(args) if o in ("-i", "--index-url", "--extra-index-url")]
    index_urls += [t.split("=", 1)[1] for t in args if t.startswith(("--index-url=", "--extra-index-url="))]
    pinned_before, wanted_before = len(stage.pins), len(stage.wants)
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        option, sep, value = token.partition("=")
        if option in ("-r", "--requirement"):
            target = value if sep else (args[i] if i < len(args) else "")
            i += 0 if sep else 1
            names.extend(_nested(path, line, target, stage))
            continue
        if option in _VALUED:
            i += 0 if sep else 1
            continue
        if token.startswith("-"):
            continue
        physical = _physical_line(lines, line, token)
        first_line = first_line or physical
        at = where(path, physical)
        try:
            req = Requirement(token)
        except InvalidRequirement:
            stage.notes.append(f"{at}: {token!r} is not a requirement compataudit can read; not audited")
            continue
        name = canonical_name(req.name)
        names.append(name)
        specs = list(req.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            stage.pins.append(
                Pin(
                    name=name,
                    version=specs[0].version,
                    where=at,
                    marker=str(req.marker) if req.marker else None,
                )
            )
        elif name not in _TOOLING:
            marker = str(req.marker) if req.marker else None
            stage.wants.append(Want(name, str(req.specifier), at, token, tuple(sorted(req.extras)), marker))
    stage.pins[pinned_before:] = with_index_variant(stage.pins[pinned_before:], index_variant(index_urls))
    primary = [v for o, v in itertools.pairwise(args) if o in ("-i", "--index-url")]
    primary += [t.split("=", 1)[1] for t in args if t.startswith("--index-url=")]
    stage.wants[wanted_before:] = wants_with_variant(
        stage.wants[wanted_before:], index_variant(index_urls), index_only=index_variant(primary) is not None
    )
    stage.pip_lines.append((first_line or line, names, no_deps))


def _nested(path: str, line: int, target: str, stage: _Stage) -> list[str]:
    """Pins of a requirements file the image installs, read from the build context."""
    from compataudit.errors import InputError
    from compataudit.inputs import read_stack_file

    # `COPY requirements.txt /tmp/` then `pip install -r /tmp/requirements.txt`: try the
    # path inside the build context, then the file's name at its top.
    context = Path(path).parent
    found = [c for c in (context / target.lstrip("/"), context / Path(target).name) if c.is_file()]
    candidate = found[0] if found else context / target
    if not target or not found:
        stage.notes.append(
            f"{where(path, line)}: pip install -r {target}: not found next to the "
            "Dockerfile; its pins are not audited"
        )
        return []
    try:
        nested = read_stack_file(str(candidate))
    except InputError as exc:
        stage.notes.append(f"{where(path, line)}: pip install -r {target}: {exc}")
        return []
    stage.pins.extend(nested.pins)
    stage.wants.extend(nested.wants)
    stage.notes.extend(nested.notes)
    return [p.name for p in nested.pins] + [w.name for w in nested.wants]


def _physical_line(lines: list[str], start: int, token: str) -> int:
    for number in range(start - 1, min(len(lines), start + 200)):
        if token in lines[number]:
            return number + 1
    return start
