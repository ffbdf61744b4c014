"""``compataudit rules`` and ``compataudit rule CODE``: the finding codes, and one explained."""

from __future__ import annotations

from typing import Annotated

import typer

from compataudit.cli.kit import examples, fail, guarded
from compataudit.cli.options import DebugOpt, QuietOpt, VerboseOpt, plain_argument
from compataudit.files import write_output

RULES_EPILOG = examples(
    ("compataudit rules", "every code, severity and summary"),
    ("compataudit rules -v", "with what each one checks"),
    ("compataudit rules -f json", "for tooling"),
)
RULE_EPILOG = examples(
    ("compataudit rule DRV001", "what it checks, why it matters, how to fix it"),
    ("compataudit rule driver-too-old", "the same, by slug"),
)


def register(app: typer.Typer) -> None:
    """Add ``rules`` and ``rule`` to the Typer ``app``."""
    app.command("rules", epilog=RULES_EPILOG)(list_rules)
    app.command("rule", epilog=RULE_EPILOG)(show_rule)


def list_rules(
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="table or json.")] = "table",
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """List every finding code with its default severity and summary."""
    guarded(lambda: _list_rules(fmt, verbose), debug=debug)


def show_rule(
    code: Annotated[str, plain_argument("CODE", "A finding code (DRV001) or its slug.")],
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Explain one finding code: what it checks, why it matters, how to fix it."""
    guarded(lambda: _show_rule(code), debug=debug)


def _list_rules(fmt: str, verbose: int) -> None:
    from compataudit.rules import RULES

    if fmt == "json":
        import json
        from dataclasses import asdict

        data = [{**asdict(r), "severity": r.severity.value} for r in RULES]
        write_output(json.dumps(data, indent=2), None)
        return
    if fmt != "table":
        fail(f"--format {fmt!r}: choose table or json")
    from compataudit.render import table

    shown = [r for r in RULES if r.status != "removed"]
    if verbose:  # -v: what each rule checks, under its line
        lines = [f"{r.code}  {r.severity.value:<7}  {r.slug}  {r.summary}\n    {r.what}" for r in shown]
        write_output("\n".join(lines), None)
        return
    rows = [[r.code, r.severity.value, r.slug, r.summary] for r in shown]
    write_output("\n".join(table(rows)), None)


def _show_rule(code: str) -> None:
    from compataudit.rules import get_rule

    r = get_rule(code)
    if r is None:
        fail(f"unknown finding code {code!r}; `compataudit rules` lists them")
    write_output(
        f"{r.code} ({r.slug}) — {r.summary}\n"
        f"Area: {r.area} · default severity: {r.severity.value}\n\n"
        f"What it checks\n  {r.what}\n\nWhy it matters\n  {r.why}\n\nHow to fix\n  {r.fix}\n",
        None,
    )
