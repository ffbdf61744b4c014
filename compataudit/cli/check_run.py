"""The ``check`` command's work, free of typer: settings, environment, audit, report.

Both ways into ``check`` end here: the Typer command (:func:`compataudit.cli.app.check`)
and the entry point's fast path (:mod:`compataudit.cli.fast`), which parses the common
command lines itself so that a CI job's ``compataudit check`` never imports typer.
"""

from __future__ import annotations

from typing import Any

from compataudit.cli.kit import fail, guarded
from compataudit.options import EnvOptions


def run_check(
    *,
    fmt: str,
    output: str | None,
    fail_on: str | None,
    no_smoke: bool,
    smoke_timeout: float | None,
    framework: list[str] | None,
    device: list[str] | None,
    code: list[str] | None,
    ignore: list[str] | None,
    config: str | None,
    what_if: EnvOptions,
    matrices: str | None,
    redact: bool,
    baseline: str | None,
    quiet: bool,
    verbose: int,
    debug: bool,
) -> int:
    """Run the audit and write the report; the exit code (errors become one line, exit 2)."""
    cli_values: dict[str, Any] = {
        "fail_on": fail_on,
        "smoke": False if no_smoke else None,
        "smoke_timeout": smoke_timeout,
        "ignore": ignore,
        "matrices": matrices,
    }

    def run() -> int:
        import os
        from pathlib import Path

        from compataudit.audit import run_audit
        from compataudit.cli import config as config_file
        from compataudit.cli.output import emit_report, formats, progress_display
        from compataudit.options import AuditOptions
        from compataudit.sources import build_environment

        if fmt not in formats():
            fail(f"--format {fmt!r}: choose one of {', '.join(formats())}")
        settings = config_file.resolve(cli_values, os.environ, config_file.load_config(config, Path.cwd()))
        env = build_environment(what_if)
        interactive = fmt == "table" and not quiet and output is None
        progress = progress_display(enabled=interactive and settings.smoke and env.origin == "probe")
        opts = AuditOptions(
            fail_on=settings.fail_on,
            smoke=settings.smoke,
            smoke_timeout=settings.smoke_timeout,
            frameworks=tuple(framework or ()),
            devices=tuple(device or ()),
            matrices_dir=settings.matrices,
            ignore=settings.ignore,
            severity=settings.severity,
            require=settings.require,
            code_paths=tuple(code or ()),
            baseline=baseline,
        )
        try:
            report = run_audit(env, opts, progress=progress)
        finally:
            if progress is not None:
                progress.finish()
        if redact:  # after the audit: the checks need the real paths, and smoke details carry them
            from compataudit.plan.redact import redact_report

            report = redact_report(report)
        inputs = what_if.requirements + ((what_if.snapshot,) if what_if.snapshot else ())
        emit_report(report, fmt, output, quiet=quiet, verbose=verbose, input_files=inputs)
        return report.summary.exit_code

    return guarded(run, debug=debug)
