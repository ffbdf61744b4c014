"""``compataudit schema``: print the JSON Schema of the report."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``schema`` command to the Typer ``app``."""

    @app.command("schema")
    def schema_command() -> None:
        """Print the JSON Schema (draft 2020-12) of the JSON report, schema_version 1."""
        from compataudit.clikit import guarded
        from compataudit.files import write_output
        from compataudit.schema import schema_text

        guarded(lambda: write_output(schema_text(), None))
