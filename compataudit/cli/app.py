"""The command line: parse, build the options, call the pipeline, render, exit.

No logic lives here beyond wiring. Heavy modules are imported inside the
command functions so that ``compataudit check --no-smoke`` starts fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Optional

import typer

from compataudit import __version__
from compataudit.cli.kit import (
    EXIT_USAGE,
    command_name,
    emit,
    entry,
    examples,
    fail,
    guarded,
    interrupted,
)
from compataudit.cli.options import (
    NO_WHAT_IF,
    DebugOpt,
    DeviceOpt,
    EnvOpt,
    FailOnOpt,
    FrameworkOpt,
    MatricesOpt,
    OutputOpt,
    QuietOpt,
    RedactOpt,
    SmokeTimeoutOpt,
    VerboseOpt,
    what_if_options,
)
from compataudit.cli.output import emit_report, formats, progress_display, redact_environment
from compataudit.options import EnvOptions

# Modules in compataudit.cli.commands that add more sub-commands.
COMMAND_MODULES = ("rules", "doctor", "plan", "matrix", "schema", "collect")

CHECK_EPILOG = examples(
    ("compataudit check", "audit this machine (static + smoke kernels)"),
    ("compataudit check --no-smoke -f json", "the static audit as a JSON report"),
    ("compataudit check --env .venv", "audit another environment"),
    ("compataudit check --no-probe --python 3.12 --pin tensorflow==2.15.0", "plan a stack"),
    ("compataudit check --pin torch==2.5.1+cu124 --driver 470.82.01 --gpu-cc 8.6", "what if"),
    ("compataudit check -r requirements.txt -f sarif -o compataudit.sarif", "audit a file"),
    ("compataudit check --no-smoke -r pyproject.toml --extra cuda", "the env it builds"),
    ("compataudit check --no-smoke -r requirements.txt --onto-current", "pip install -r here"),
    ("compataudit check --no-smoke -r Dockerfile --driver 550.54.14 --gpu-cc 8.0", "an image"),
    after="""
Exit codes: 0 nothing at or above --fail-on and every smoke kernel passed;
1 findings at or above --fail-on, or a smoke kernel failed; 2 usage error,
unreadable input or internal fault (one line on stderr); 130/143/129 stopped
by SIGINT/SIGTERM/SIGHUP (every process it started is killed first).""",
)

SNAPSHOT_EPILOG = examples(
    ("compataudit snapshot -o node07.json", "save this machine's environment"),
    ("compataudit snapshot --redact -o share.json", "no host/user names, paths, UUIDs"),
    ("compataudit check --snapshot node07.json", "audit it later, anywhere"),
)
SMOKE_EPILOG = examples(
    ("compataudit smoke", "every framework on every device"),
    ("compataudit smoke --framework torch --device cuda:1", "one framework, one GPU"),
    ("compataudit smoke -f json -o smoke.json", "JSON; a summary line on stderr"),
    after="Exit codes: 0 every kernel passed; 1 a kernel failed, crashed or hung; 2 usage error.",
)
ROOT_EPILOG = examples(
    ("compataudit check", "audit this machine, smoke kernels too"),
    ("compataudit check --env .venv", "audit another Python environment"),
    ("compataudit suggest", "the newest stack this machine runs"),
    ("compataudit explain traceback.txt", "why a run failed, and the fix"),
    ("compataudit COMMAND --help", "each command's options and examples"),
)
app = typer.Typer(
    name="compataudit",
    epilog=ROOT_EPILOG,
    help="Will this deep-learning stack actually work on this machine — and if not, "
    "what exactly do I change?",
    no_args_is_help=True,
    # --install-completion / --show-completion: typer loads its completion code only when
    # asked, so `check` imports nothing more (measured: benchmarks/README.md).
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        envvar="COMPATAUDIT_FORMAT",
        help="table, json, junit, sarif, github, markdown, html or prometheus.",
    ),
]


def _version(value: bool) -> None:
    if value:
        date = _data_date()
        sys.stdout.write(f"compataudit {__version__}" + (f" (data {date})" if date else "") + "\n")
        raise typer.Exit()


def _data_date() -> str | None:
    """The date of the packaged compatibility data; None when it cannot be read."""
    from compataudit.compat.matrices import load_matrices
    from compataudit.compat.staleness import data_facts
    from compataudit.errors import MatrixError

    try:
        return data_facts(load_matrices()).date
    except MatrixError:
        return None


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Audit torch / TensorFlow / Keras / JAX, CUDA and the GPU before you train."""


@app.command(epilog=CHECK_EPILOG)
@what_if_options
def check(
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    fail_on: FailOnOpt = None,
    no_smoke: Annotated[
        bool, typer.Option("--no-smoke", help="Static audit only: skip the smoke kernels.")
    ] = False,
    smoke_timeout: SmokeTimeoutOpt = None,
    framework: FrameworkOpt = None,
    device: DeviceOpt = None,
    code: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--code", metavar="PATH", help="Also lint model code at PATH (repeatable)."),
    ] = None,
    ignore: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--ignore", metavar="CODE", help="Ignore a finding code or prefix (repeatable)."),
    ] = None,
    config: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--config",
            metavar="FILE",
            help="Read \\[tool.compataudit] from FILE instead of the nearest pyproject.toml.",
        ),
    ] = None,
    what_if: EnvOptions = NO_WHAT_IF,
    matrices: MatricesOpt = None,
    redact: RedactOpt = False,
    baseline: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--baseline",
            metavar="FILE",
            help="A golden snapshot or report: any drift from its stack is an error (FLT001).",
        ),
    ] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Audit this machine (or a snapshot / what-if stack): versions, builds, driver, GPUs, kernels.

    Probes without importing any framework, checks everything against the curated
    compatibility matrices, runs conv2d forward + backward smoke kernels on every
    device, and reports findings with the one command that fixes each set.
    """
    from compataudit.cli.check_run import run_check

    exit_code = run_check(
        fmt=fmt,
        output=output,
        fail_on=fail_on.value if fail_on else None,
        no_smoke=no_smoke,
        smoke_timeout=smoke_timeout,
        framework=framework,
        device=device,
        code=code,
        ignore=ignore,
        config=config,
        what_if=what_if,
        matrices=matrices,
        redact=redact,
        baseline=baseline,
        quiet=quiet,
        verbose=verbose,
        debug=debug,
    )
    raise typer.Exit(exit_code)


@app.command(epilog=SNAPSHOT_EPILOG)
def snapshot(
    output: OutputOpt = None,
    env_path: EnvOpt = None,
    redact: RedactOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Write this machine's environment snapshot (JSON) to stdout or FILE.

    Audit it elsewhere with `compataudit check --snapshot FILE`; compare two with
    `compataudit diff A B`.
    """

    def run() -> int:
        from compataudit.options import EnvOptions
        from compataudit.sources import build_environment
        from compataudit.sources.snapshot import dump_snapshot

        env = build_environment(EnvOptions(env_path=env_path))
        if redact:
            env = redact_environment(env)
        summary = f"{len(env.packages)} distributions, {len(env.nvidia.gpus)} GPU(s)"
        emit(dump_snapshot(env), output, summary=summary, quiet=quiet)
        return 0

    raise typer.Exit(guarded(run, debug=debug))


@app.command(epilog=SMOKE_EPILOG)
def smoke(
    fmt: FormatOpt = "table",
    output: OutputOpt = None,
    smoke_timeout: SmokeTimeoutOpt = None,
    framework: FrameworkOpt = None,
    device: DeviceOpt = None,
    env_path: EnvOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Run only the smoke kernels: conv2d forward + backward on every device.

    Every installed framework (torch, TensorFlow, Keras 3, JAX) runs in its own
    subprocess with a hard timeout; results are checked against a float64
    reference.
    """

    def run() -> int:
        import os
        from pathlib import Path

        from compataudit.audit import run_smoke_audit
        from compataudit.cli import config as config_file
        from compataudit.options import EnvOptions
        from compataudit.sources import build_environment

        if fmt not in formats():
            fail(f"--format {fmt!r}: choose one of {', '.join(formats())}")
        # [tool.compataudit] and COMPATAUDIT_* apply as they do to `check`.
        cli_values = {"smoke_timeout": smoke_timeout}
        settings = config_file.resolve(cli_values, os.environ, config_file.load_config(None, Path.cwd()))
        opts = settings.audit_options(frameworks=tuple(framework or ()), devices=tuple(device or ()))
        env = build_environment(EnvOptions(env_path=env_path))
        progress = progress_display(enabled=fmt == "table" and not quiet and output is None)
        try:
            report = run_smoke_audit(env, opts, progress=progress)
        finally:
            if progress is not None:
                progress.finish()
        emit_report(report, fmt, output, quiet=quiet, verbose=verbose, input_files=())
        return report.summary.exit_code

    raise typer.Exit(guarded(run, debug=debug))


CORE_COMMANDS = frozenset({"check", "snapshot", "smoke"})
_registered = False


def register_all_commands() -> typer.Typer:
    """Add the sub-commands of :data:`COMMAND_MODULES` to :data:`app` (once) and return it."""
    global _registered
    if not _registered:
        for name in COMMAND_MODULES:
            importlib.import_module(f"compataudit.cli.commands.{name}").register(app)
        _registered = True
    return app


USAGE_ERRORS = ("UsageError", "BadParameter", "NoSuchOption", "MissingParameter", "BadOptionUsage")


def main(argv: list[str] | None = None) -> None:
    """Console entry point through typer alone: usage errors become one line and exit 2;
    signals end it cleanly (``compataudit.cli.main`` tries the fast path for ``check`` first)."""
    entry(argv if argv is not None else sys.argv[1:], _run)


def _run(args: list[str]) -> None:
    # `check` runs on every CI job: skip building the other commands' parsers for it.
    if command_name(args) not in CORE_COMMANDS:
        register_all_commands()
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=args, prog_name="compataudit", standalone_mode=False)
    except KeyboardInterrupt as exc:
        interrupted(exc)
    except Exception as exc:
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            if type(exc).__name__ == "NoArgsIsHelpError":
                raise SystemExit(0) from None  # bare `compataudit` (or a group): the help was shown
            if type(exc).__name__ == "Abort":
                interrupted(KeyboardInterrupt())
            hint = " (see --help)" if type(exc).__name__ in USAGE_ERRORS else ""
            fail(f"{exc.format_message()}{hint}", EXIT_USAGE)
        raise
    raise SystemExit(rv if isinstance(rv, int) else 0)
