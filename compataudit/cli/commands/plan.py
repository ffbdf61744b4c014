"""``suggest``, ``diff`` and ``fleet``: plan a stack, compare two machines, summarise many.

The work lives in :mod:`compataudit.plan`; this module only declares the
options, calls it inside :func:`~compataudit.cli.kit.guarded` (bad input: one
line, exit 2) and turns the result into an exit code.
"""

from __future__ import annotations

import enum
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from compataudit.cli.kit import examples
from compataudit.cli.options import (
    NO_WHAT_IF,
    DebugOpt,
    FleetFormat,
    MatricesOpt,
    OutputOpt,
    QuietOpt,
    RedactOpt,
    TableOrJson,
    TableOrJsonOpt,
    VerboseOpt,
    fail_on_option,
    plain_argument,
    what_if_options,
)
from compataudit.model import FailOn
from compataudit.options import EnvOptions

if TYPE_CHECKING:
    from compataudit.model import Environment, Finding, Report
    from compataudit.plan.fleet import FleetResult


def _emit(payload: dict[str, Any] | str, output: str | None, *, quiet: bool, summary: str = "") -> None:
    from compataudit.cli.kit import emit

    text = payload if isinstance(payload, str) else json.dumps(payload, indent=2)
    emit(text, output, summary=summary, quiet=quiet)


class FrameworkChoice(str, enum.Enum):
    torch = "torch"
    tensorflow = "tensorflow"
    jax = "jax"
    all = "all"


def register(app: typer.Typer) -> None:
    """Add ``suggest``, ``diff`` and ``fleet`` to the Typer ``app``."""
    app.command(
        "suggest",
        epilog=examples(
            ("compataudit suggest", "the newest stack for this machine"),
            ("compataudit suggest --framework torch", "torch only"),
            ("compataudit suggest --no-probe --python 3.11 --driver 535.54.03 --gpu-cc 8.6", "for another"),
        ),
    )(suggest_command)
    app.command(
        "diff",
        epilog=examples(
            ("compataudit diff works.json broken.json", "two snapshots or reports"),
            ("compataudit diff node07.json -", "a saved node against this machine"),
            ("compataudit diff a.json b.json --format json", "as JSON"),
        ),
    )(diff_command)
    app.command(
        "fleet",
        epilog=examples(
            ("compataudit fleet snapshots/", "every snapshot in a folder"),
            ("compataudit fleet 'runs/**/node-*.json' -f json -o fleet.json", "a glob, as JSON"),
            ('compataudit fleet reports/ --expect "$SLURM_JOB_NODELIST"', "name silent nodes"),
            ("kubectl logs -l app=compataudit | compataudit fleet -", "reports from stdin"),
        ),
    )(fleet_command)


@what_if_options
def suggest_command(
    framework: Annotated[
        FrameworkChoice, typer.Option("--framework", help="Which framework's stack to suggest.")
    ] = FrameworkChoice.all,
    fmt: TableOrJsonOpt = TableOrJson.table,
    output: OutputOpt = None,
    what_if: EnvOptions = NO_WHAT_IF,
    matrices: MatricesOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """The newest compatible stack for this machine (or a what-if one), with install commands.

    torch + torchvision + torchaudio in the CUDA variant that fits the driver and
    every GPU; TensorFlow with its Keras; jax + jaxlib (+ CUDA plugin); a numpy
    that suits them all. Prints pip and uv commands and the reason for each
    choice. When no GPU build fits (a Kepler GPU, a driver too old for every
    current build) it says so and suggests the newest build that does work.

    Exit status: 0 a complete suggestion · 1 something could not be satisfied
    (listed under "Not possible here") · 2 bad input.
    """
    from compataudit.cli.kit import guarded

    def run() -> int:
        from compataudit.compat.matrices import load_matrices
        from compataudit.formats.suggestion import render_table
        from compataudit.plan.suggest import FRAMEWORKS, suggest
        from compataudit.sources import build_environment

        env = build_environment(what_if)
        numpy = env.package("numpy")
        chosen = FRAMEWORKS if framework is FrameworkChoice.all else (framework.value,)
        result = suggest(
            env, load_matrices(matrices), chosen, installed_numpy=numpy.version if numpy else None
        )
        if fmt is TableOrJson.json:
            _emit(result.to_json(), output, quiet=quiet)
        else:
            from compataudit.render import terminal_width

            width = terminal_width(sys.stdout if output is None else None)
            _emit(render_table(result, width=width), output, quiet=quiet)
        return 1 if result.problems else 0

    raise typer.Exit(guarded(run, debug=debug))


def diff_command(
    a: Annotated[str, plain_argument("A", "Snapshot or JSON report; - for this machine.")],
    b: Annotated[str, plain_argument("B", "Snapshot or JSON report; - for this machine.")],
    fmt: TableOrJsonOpt = TableOrJson.table,
    output: OutputOpt = None,
    redact: RedactOpt = False,
    matrices: MatricesOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """What differs between A and B that can matter, most relevant first.

    Compares the driver, GPUs, Python, packages (build variants such as +cu124
    included), what each framework was built for, the CUDA toolkit, the OS and
    smoke results, then lists the findings one side has and the other lacks
    (taken from a report, or found by running the checks on a snapshot).

    Exit status: 0 nothing that matters differs · 1 they differ ·
    2 an input is unreadable or not a snapshot/report.
    """
    from compataudit.cli.kit import guarded

    def run() -> int:
        from compataudit.formats.diff import render_table
        from compataudit.plan import load_any
        from compataudit.plan.diff import diff
        from compataudit.plan.redact import redact_environment, redact_report

        env_a, rep_a = load_any(a)
        env_b, rep_b = load_any(b)
        if redact:
            env_a, env_b = redact_environment(env_a), redact_environment(env_b)
            rep_a = redact_report(rep_a) if rep_a else None
            rep_b = redact_report(rep_b) if rep_b else None
        result = diff(
            env_a, env_b, _findings(env_a, rep_a, matrices), _findings(env_b, rep_b, matrices), rep_a, rep_b
        )
        # With --redact the file names are shown without their directories (home paths).
        name_a, name_b = (_short(a), _short(b)) if redact else (a, b)
        if fmt is TableOrJson.json:
            _emit({"a": name_a, "b": name_b, **result.to_json()}, output, quiet=quiet)
        else:
            _emit(render_table(result, name_a, name_b, verbose=verbose), output, quiet=quiet)
        return 0 if result.identical else 1

    raise typer.Exit(guarded(run, debug=debug))


def _short(path: str) -> str:
    from pathlib import Path

    return path if path == "-" else Path(path).name


def _findings(env: Environment, report: Report | None, matrices: str | None) -> list[Finding]:
    """A report's own findings, or the checks run now on a snapshot."""
    if report is not None:
        return list(report.findings)
    from compataudit.plan.fleet import default_checker

    return list(default_checker(matrices)(env))


def fleet_command(
    paths: Annotated[
        list[str],
        plain_argument(
            "PATH...",
            "Snapshot/report files, directories (searched for *.json), quoted globs "
            "('snaps/**/*.json'), or - for JSON lines / concatenated documents on stdin.",
        ),
    ],
    fmt: Annotated[
        FleetFormat,
        typer.Option(
            "--format",
            "-f",
            help="table, json, html (one self-contained page) or prometheus (node_exporter textfile).",
        ),
    ] = FleetFormat.table,
    expect: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--expect",
            metavar="NODES",
            help="The nodes that should be there: a file (one hostname per line) or a Slurm "
            "hostlist expression (gpu[001-128]); those that sent nothing are listed as missing.",
        ),
    ] = None,
    output: OutputOpt = None,
    fail_on: Annotated[
        FailOn,
        fail_on_option(
            "Exit 1 when a group, or a node's own report, has a finding at or above LEVEL: "
            "error, warning, info, never."
        ),
    ] = FailOn.error,
    no_checks: Annotated[
        bool, typer.Option("--no-checks", help="Only group the nodes; do not run the checks per group.")
    ] = False,
    matrices: MatricesOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Group many nodes' snapshots or check reports by stack and name the odd ones out.

    Shows the majority stack, each group with its findings (checks run once per
    group), and every outlier node — by hostname, or by file name where
    hostnames repeat or were redacted — with what sets it apart. A check report
    whose smoke kernels failed, or whose findings reach --fail-on, makes its node
    an outlier even on the majority stack. Unreadable files are counted and
    named, never fatal; with --expect, nodes that sent nothing are named.

    Exit status: 0 one stack, every file readable, no failing or missing node and
    no finding at or above --fail-on · 1 otherwise · 2 no readable snapshot at
    all, or a bad --expect.
    """
    from compataudit.cli.kit import guarded

    def run() -> int:
        from compataudit.errors import InputError
        from compataudit.formats.fleet import render_table
        from compataudit.plan.fleet import aggregate, default_checker

        expected = None
        if expect is not None:
            from compataudit.plan.expect import expected_nodes

            expected = expected_nodes(expect)
        checker = None if no_checks else default_checker(matrices)
        result = aggregate(paths, checker, fail_on=fail_on.value, expect=expected)
        if result.nodes == 0 and not result.missing:
            why = f" ({result.corrupt[0][0]}: {result.corrupt[0][1]})" if result.corrupt else ""
            raise InputError(f"no readable snapshot or report among the paths given{why}")
        if fmt is FleetFormat.html:
            from compataudit.formats.html import render_fleet

            _emit(render_fleet(result), output, quiet=quiet)
        elif fmt is FleetFormat.prometheus:
            from compataudit.formats.prometheus import render_fleet_metrics

            _emit(render_fleet_metrics(result, fail_on.value), output, quiet=quiet)
        else:
            _emit(result.to_json() if fmt is FleetFormat.json else render_table(result), output, quiet=quiet)
        return fleet_exit_code(result, fail_on.value)

    raise typer.Exit(guarded(run, debug=debug))


def fleet_exit_code(result: FleetResult, fail_on: str) -> int:
    """1 when the fleet is not uniform, a file was unreadable, a node failed its own checks
    or sent nothing, or a group fails ``fail_on``."""
    from compataudit.audit import exit_code_for

    if len(result.groups) > 1 or result.corrupt or result.missing or result.failing:
        return 1
    return max((exit_code_for(g.findings, (), fail_on) for g in result.groups), default=0)
