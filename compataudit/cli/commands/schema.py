"""``compataudit schema``: print the JSON Schema of the report."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from compataudit.cli.kit import examples
from compataudit.cli.options import DebugOpt, OutputOpt, QuietOpt, VerboseOpt

SCHEMA_EPILOG = examples(
    ("compataudit schema > report.schema.json", "print it"),
    ("compataudit schema -o report.schema.json", "write it"),
    ("compataudit schema --validate report.json", "check a report against it"),
)
# Problems listed for an invalid report before "... and N more".
SHOWN_PROBLEMS = 20


def register(app: typer.Typer) -> None:
    """Add the ``schema`` command to the Typer ``app``."""
    app.command("schema", epilog=SCHEMA_EPILOG)(schema_command)


def schema_command(
    validate: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--validate",
            metavar="REPORT",
            help="Check the JSON report REPORT (- for stdin) against the schema instead: "
            "exit 0 valid, 1 invalid (each problem on a line), 2 unreadable.",
        ),
    ] = None,
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) of the JSON report, schema_version 1."""
    from compataudit.cli.kit import emit, guarded
    from compataudit.formats.schema import schema_text

    if validate is not None:
        raise typer.Exit(guarded(lambda: _validate(validate, output), debug=debug))
    guarded(lambda: emit(schema_text(), output, quiet=quiet), debug=debug)


def _validate(path: str, output: str | None) -> int:
    """One line for a valid report; otherwise a count and the first problems, exit 1."""
    from compataudit.files import write_output
    from compataudit.formats.schema import validate_report
    from compataudit.sources.snapshot import read_json_file

    data = read_json_file(path)
    problems = validate_report(data)
    version = data.get("schema_version") if isinstance(data, dict) else None
    if not problems:
        write_output(f"{path}: a valid compataudit report (schema_version {version})", output)
        return 0
    lines = [f"{path}: not a valid compataudit report, {len(problems)} problem(s):"]
    lines += [f"  {p}" for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"  ... and {len(problems) - SHOWN_PROBLEMS} more")
    write_output("\n".join(lines), output)
    return 1
