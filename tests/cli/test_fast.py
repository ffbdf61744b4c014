"""The entry point's fast path for ``check`` parses exactly as typer does, or not at all."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from typing import Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st

from compataudit.cli import check_run
from compataudit.cli.app import _run as typer_run
from compataudit.cli.app import app
from compataudit.cli.fast import (
    CHECK_OPTIONS,
    COUNT,
    DEFAULTS,
    FAIL_ON_LEVELS,
    FLAG,
    MULTIPLE,
    VALUE,
    WHAT_IF_FLAGS,
    parse_check,
    what_if_of,
)
from compataudit.cli.options import what_if_flags
from compataudit.model import FailOn


def _click_check() -> Any:
    return typer.main.get_command(app).commands["check"]  # type: ignore[attr-defined]


def test_the_table_is_the_options_typer_builds_for_check() -> None:
    built = set()
    for p in _click_check().params:
        if p.name == "help":
            continue
        kind = COUNT if p.count else MULTIPLE if p.multiple else FLAG if p.is_flag else VALUE
        built.add((tuple(p.opts + p.secondary_opts), p.name, kind, p.envvar))
        assert DEFAULTS.get(p.name, False if kind == FLAG else None) == p.default, p.name
    assert set(CHECK_OPTIONS) == built
    assert tuple(level.value for level in FailOn) == FAIL_ON_LEVELS


def test_the_what_if_flags_are_the_group() -> None:
    import inspect

    assert tuple(inspect.signature(what_if_flags).parameters) == WHAT_IF_FLAGS
    given_flags: dict[str, Any] = {
        "pin": ["torch==2.5.1"],
        "requirements": ["r.txt"],
        "gpu_cc": ["8.0"],
        "no_probe": True,
    }
    assert what_if_of(given_flags) == what_if_flags(**given_flags)
    assert what_if_of({"snapshot": "s.json"}) == what_if_flags(snapshot="s.json")


def _through_typer(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any] | None:
    """What typer hands run_check for ``args``; None when it stops before (a usage error)."""
    seen: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> int:
        seen.append(kwargs)
        return 0

    monkeypatch.setattr(check_run, "run_check", record)
    with contextlib.suppress(SystemExit):  # a usage error: nothing recorded
        typer_run(args)
    return seen[0] if seen else None


def _through_fast_path(args: list[str], environ: dict[str, str]) -> dict[str, Any] | None:
    values = parse_check(args, environ)
    if values is None:
        return None
    what_if = what_if_of(values)
    return {k: v for k, v in values.items() if k not in WHAT_IF_FLAGS} | {"what_if": what_if}


NAMES = [name for names, *_ in CHECK_OPTIONS for name in names]
VALUES = ["json", "table", "r.txt", "-", "--no-smoke", "error", "never", "Warning", "5", "1e1", "x", ""]
TOKENS = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(VALUES),
    st.builds(
        lambda n, v: f"{n}={v}",
        st.sampled_from([n for n in NAMES if n.startswith("--")]),
        st.sampled_from(VALUES),
    ),
    st.builds(
        lambda n, v: n + v,
        st.sampled_from(["-f", "-o", "-r", "-q", "-v"]),
        st.sampled_from([*VALUES, "v", "q", "=json"]),
    ),
    st.sampled_from(["-vv", "-vvv", "-qv", "--bogus", "--", "-h", "--help", "extra", "--no-smoke=1"]),
)
ENVIRONS = st.sampled_from(
    [{}, {"COMPATAUDIT_FORMAT": "json"}, {"COMPATAUDIT_MATRICES": "m"}, {"COMPATAUDIT_FORMAT": ""}]
)

accepted: list[int] = []


@settings(max_examples=400, deadline=None)
@given(tokens=st.lists(TOKENS, max_size=7), environ=ENVIRONS)
def test_the_fast_path_agrees_with_typer(tokens: list[str], environ: dict[str, str]) -> None:
    args = ["check", *tokens]
    fast = _through_fast_path(args, environ)
    if fast is None:
        return  # typer parses it (or refuses it) as it always did
    with pytest.MonkeyPatch.context() as mp:
        for key in ("COMPATAUDIT_FORMAT", "COMPATAUDIT_MATRICES"):
            mp.delenv(key, raising=False)
        for key, value in environ.items():
            mp.setenv(key, value)
        slow = _through_typer(args, mp)
    assert slow is not None, f"the fast path took {args} {environ}, typer refused it"
    assert fast == slow, args


def test_the_fast_path_takes_the_common_command_lines() -> None:
    env: dict[str, str] = {}
    for line in (
        "check",
        "check --no-smoke -f json -o report.json",
        "check --no-smoke --format=sarif --output compataudit.sarif",
        "check -r requirements.txt --onto-current --no-smoke",
        "check --no-probe --python 3.12 --pin tensorflow==2.15.0 -q",
        "check --fail-on warning --smoke-timeout 60 -vv",
    ):
        assert parse_check(line.split(), env) is not None, line
    for line in (
        "check --help",
        "check -h",
        "--version",
        "check extra",
        "check -f",
        "snapshot",
        "check --fail-on bad",
    ):
        assert parse_check(line.split(), env) is None, line


def test_check_runs_without_importing_typer() -> None:
    code = (
        "import sys; sys.argv = ['compataudit', 'check', '--no-smoke', '--no-probe', '-q', '-f', 'json'];"
        "import compataudit.cli as c\n"
        "try:\n    c.main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m == 'typer' or m.startswith(('typer.', 'click'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
