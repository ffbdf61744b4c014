"""``compataudit schema``: print the JSON Schema of the report."""

from __future__ import annotations

import typer

from compataudit.cli.kit import examples
from compataudit.cli.options import DebugOpt, OutputOpt, QuietOpt, VerboseOpt

SCHEMA_EPILOG = examples(
    ("compataudit schema > report.schema.json", "print it"),
    ("compataudit schema -o report.schema.json", "write it; validate `check -f json` with it"),
)


def register(app: typer.Typer) -> None:
    """Add the ``schema`` command to the Typer ``app``."""
    app.command("schema", epilog=SCHEMA_EPILOG)(schema_command)


def schema_command(
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) of the JSON report, schema_version 1."""
    from compataudit.cli.kit import emit, guarded
    from compataudit.formats.schema import schema_text

    guarded(lambda: emit(schema_text(), output, quiet=quiet), debug=debug)
