"""The entry point's fast path: ``compataudit check ...`` parsed without typer.

``check`` runs in every CI job, and importing typer (and its click) is about a tenth of
a static audit's whole cost. The common command lines - ``check`` followed only by its
own options, spelled as click spells them - are parsed here from a table of those
options; anything else (``--help``, an unknown or malformed option, a value typer would
refuse, ``--``, clustered short flags) falls back to typer, which parses it and words
its errors exactly as before. ``tests/cli/test_fast.py`` holds the table equal to the
options typer builds for ``check`` and the two parsers equal on generated command lines.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from compataudit.options import EnvOptions

# How an option takes its value, as click does: one value (the last given wins), one more
# value per use, a flag, or a count (-v, -vv).
VALUE, MULTIPLE, FLAG, COUNT = "value", "multiple", "flag", "count"

# check's options: (the names click knows it by, the parameter, kind, environment variable).
CHECK_OPTIONS: tuple[tuple[tuple[str, ...], str, str, str | None], ...] = (
    (("--format", "-f"), "fmt", VALUE, "COMPATAUDIT_FORMAT"),
    (("--output", "-o"), "output", VALUE, None),
    (("--fail-on",), "fail_on", VALUE, None),
    (("--no-smoke",), "no_smoke", FLAG, None),
    (("--smoke-timeout",), "smoke_timeout", VALUE, None),
    (("--framework",), "framework", MULTIPLE, None),
    (("--device",), "device", MULTIPLE, None),
    (("--code",), "code", MULTIPLE, None),
    (("--ignore",), "ignore", MULTIPLE, None),
    (("--config",), "config", VALUE, None),
    (("--pin",), "pin", MULTIPLE, None),
    (("--requirements", "-r"), "requirements", MULTIPLE, None),
    (("--onto-current",), "onto_current", FLAG, None),
    (("--extra",), "extra", MULTIPLE, None),
    (("--group",), "group", MULTIPLE, None),
    (("--resolve",), "resolve", FLAG, None),
    (("--python",), "python", VALUE, None),
    (("--driver",), "driver", VALUE, None),
    (("--gpu-cc",), "gpu_cc", MULTIPLE, None),
    (("--snapshot",), "snapshot", VALUE, None),
    (("--no-probe",), "no_probe", FLAG, None),
    (("--env",), "env_path", VALUE, None),
    (("--matrices",), "matrices", VALUE, "COMPATAUDIT_MATRICES"),
    (("--redact",), "redact", FLAG, None),
    (("--baseline",), "baseline", VALUE, None),
    (("--quiet", "-q"), "quiet", FLAG, None),
    (("--verbose", "-v"), "verbose", COUNT, None),
    (("--debug",), "debug", FLAG, None),
)
DEFAULTS: dict[str, Any] = {"fmt": "table", "verbose": 0}
# The --fail-on levels (compataudit.model.FailOn's values, which typer offers as choices).
FAIL_ON_LEVELS = ("error", "warning", "info", "never")
_BY_NAME = {name: (dest, kind) for names, dest, kind, _ in CHECK_OPTIONS for name in names}


def parse_check(args: list[str], environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The parameters typer would pass to ``check`` for ``args``; None where typer must decide."""
    if not args or args[0] != "check":
        return None
    values: dict[str, Any] = {}
    rest = args[1:]
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        name, value = token, None
        if token.startswith("--") and "=" in token:
            name, value = token.split("=", 1)
        elif len(token) > 2 and token[0] == "-" and token[1] != "-":
            if set(token[1:]) == {"v"}:  # -vv: a count given twice
                values["verbose"] = values.get("verbose", 0) + len(token) - 1
                continue
            name, value = token[:2], token[2:]  # -fjson
        spec = _BY_NAME.get(name)
        if spec is None:
            return None  # --help, --, a positional argument, a typo: typer's to answer
        dest, kind = spec
        if kind in (FLAG, COUNT):
            if value is not None:
                return None  # --no-smoke=1, -qv: let click say what it makes of it
            values[dest] = values.get(dest, 0) + 1 if kind == COUNT else True
            continue
        if value is None:
            if i >= len(rest):
                return None  # a value option at the end: typer's error
            value = rest[i]  # taken whatever it looks like, as click takes it
            i += 1
        if kind == MULTIPLE:
            values.setdefault(dest, []).append(value)
        else:
            values[dest] = value
    for _names, dest, _kind, envvar in CHECK_OPTIONS:
        if dest not in values and envvar and environ.get(envvar):
            values[dest] = environ[envvar]
    return _converted(values)


def _converted(values: dict[str, Any]) -> dict[str, Any] | None:
    """Every parameter of ``check`` with typer's types, or None for a value typer refuses."""
    out: dict[str, Any] = {}
    for _names, dest, kind, _env in CHECK_OPTIONS:
        default = DEFAULTS.get(dest, False if kind == FLAG else None)
        out[dest] = values.get(dest, default)
    if out["fail_on"] is not None and out["fail_on"] not in FAIL_ON_LEVELS:
        return None
    if out["smoke_timeout"] is not None:
        try:
            out["smoke_timeout"] = float(out["smoke_timeout"])
        except ValueError:
            return None
    return out


def what_if_of(values: Mapping[str, Any]) -> EnvOptions:
    """The what-if flags among ``values`` as one :class:`EnvOptions`: the one builder, for
    this path and for typer's group (:func:`compataudit.cli.options.what_if_flags`)."""
    snapshot = values.get("snapshot")
    return EnvOptions(
        pins=tuple(values.get("pin") or ()),
        requirements=tuple(values.get("requirements") or ()),
        python=values.get("python"),
        driver=values.get("driver"),
        gpu_ccs=tuple(values.get("gpu_cc") or ()),
        snapshot=snapshot,
        probe=not values.get("no_probe") and snapshot is None,
        env_path=values.get("env_path"),
        onto_current=bool(values.get("onto_current")),
        extras=tuple(values.get("extra") or ()),
        groups=tuple(values.get("group") or ()),
        ask_pip=bool(values.get("resolve")),
    )


# The what-if flags: what_if_of() turns them into the one `what_if` parameter.
WHAT_IF_FLAGS = (
    "pin",
    "requirements",
    "onto_current",
    "extra",
    "group",
    "resolve",
    "python",
    "driver",
    "gpu_cc",
    "snapshot",
    "no_probe",
    "env_path",
)


def run_fast(args: list[str]) -> None:
    """Run ``args`` here and exit, if this path can parse them; return to let typer do it.

    Called inside :func:`compataudit.cli.kit.entry`, like typer's path.
    """
    values = parse_check(args, os.environ)
    if values is None:
        return
    from compataudit.cli.check_run import run_check
    from compataudit.cli.kit import interrupted

    what_if = what_if_of(values)
    for name in WHAT_IF_FLAGS:
        del values[name]
    try:
        code = run_check(**values, what_if=what_if)
    except KeyboardInterrupt as exc:
        interrupted(exc)
    sys.exit(code)
