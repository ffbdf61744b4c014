"""``compataudit matrix``: look at the compatibility data, and generate CI version matrices.

``matrix show [NAME]`` lists the matrix files (or one file's rows);
``matrix compatible PKG...`` prints the compatible version sets
(:mod:`compataudit.plan.ci_matrix`) as json, a GitHub strategy matrix, a nox
decorator or a table.
"""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from compataudit.cli.kit import examples
from compataudit.cli.options import DebugOpt, MatricesOpt, OutputOpt, QuietOpt, VerboseOpt, plain_argument
from compataudit.formats.matrix_show import render_file, render_overview

matrix_app = typer.Typer(
    name="matrix",
    help="Show the compatibility data; generate CI version matrices from it.",
    epilog=examples(
        ("compataudit matrix show", "the data files and their tables"),
        ("compataudit matrix show torch", "one family"),
        ("compataudit matrix compatible torch torchvision --python 3.11", "CI version sets"),
    ),
    no_args_is_help=True,
)

SHOW_EPILOG = examples(
    ("compataudit matrix show", "the files and their tables"),
    ("compataudit matrix show cuda", "one table"),
    ("compataudit matrix show torch -f json -o torch.json", "as JSON, to a file"),
)

COMPATIBLE_EPILOG = examples(
    ("compataudit matrix compatible torch torchvision --python 3.11 -f json", "as JSON"),
    (
        "compataudit matrix compatible torch --driver 470.82.01 --gpu-cc 8.6",
        "sets that driver and GPU run",
    ),
    ("compataudit matrix compatible torch --latest 3 --format github", "a GitHub job matrix"),
    ("compataudit matrix compatible jax jaxlib --format nox", "nox parametrize values"),
)


def register(app: typer.Typer) -> None:
    """Add the ``matrix`` sub-app to the Typer ``app``."""
    app.add_typer(matrix_app, name="matrix")


@matrix_app.command("show", epilog=SHOW_EPILOG)
def show_command(
    name: Annotated[
        Optional[str],  # noqa: UP045
        plain_argument("[NAME]", "A matrix file (torch, tensorflow, cuda, ...); none: list them."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="table or json.")] = "table",
    output: OutputOpt = None,
    matrices: MatricesOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Show the compatibility data compataudit uses (every row cites its source)."""
    from compataudit.cli.kit import emit, guarded

    def run() -> None:
        from compataudit.compat.matrices import load_matrices
        from compataudit.errors import UsageError

        if fmt not in ("table", "json"):
            raise UsageError(f"--format {fmt}: must be table or json")
        data = load_matrices(matrices)
        if name is None:
            emit(render_overview(data, fmt), output, quiet=quiet)
            return
        if name not in data.names():
            raise UsageError(f"no matrix {name!r} (have: {', '.join(data.names())})")
        if fmt == "json":
            emit(json.dumps(data.get(name), indent=2, default=str), output, quiet=quiet)
        else:
            emit(render_file(data.get(name)), output, quiet=quiet)

    guarded(run, debug=debug)


@matrix_app.command("compatible", epilog=COMPATIBLE_EPILOG)
def compatible_command(
    packages: Annotated[
        list[str],
        plain_argument(
            "PKG...",
            "torch, torchvision, torchaudio, tensorflow, tensorflow-cpu, "
            "keras, jax, jaxlib, jax-cuda12-plugin, jax-cuda13-plugin.",
        ),
    ],
    python: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--python", metavar="X.Y", help="Only sets with wheels for this Python."),
    ] = None,
    driver: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--driver",
            metavar="VERSION",
            help="Only CUDA builds this NVIDIA driver runs; versions then name their build variant (+cu126).",
        ),
    ] = None,
    gpu_cc: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--gpu-cc",
            metavar="X.Y",
            help="Builds must cover this compute capability (repeatable; with --driver).",
        ),
    ] = None,
    latest: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--latest", metavar="N", help="Only the newest N sets of each framework family."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="json, github, nox or table.")
    ] = "table",
    output: OutputOpt = None,
    matrices: MatricesOpt = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Print the version sets of PKG... that work together (newest first)."""
    from compataudit.cli.kit import emit, guarded

    def run() -> int:
        from compataudit.compat.matrices import load_matrices
        from compataudit.errors import UsageError
        from compataudit.formats.version_sets import render_sets
        from compataudit.plan.ci_matrix import Query, compatible_sets

        if fmt not in ("json", "github", "nox", "table"):
            raise UsageError(f"--format {fmt}: must be one of json, github, nox, table")
        query = Query(
            tuple(packages), python=python, driver=driver, gpu_ccs=tuple(gpu_cc or ()), latest=latest
        )
        sets = compatible_sets(load_matrices(matrices), query)
        emit(render_sets(sets, fmt, packages), output, quiet=quiet)
        return 0 if sets else 1

    raise typer.Exit(guarded(run, debug=debug))
