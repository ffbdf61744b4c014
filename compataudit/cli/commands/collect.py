"""``compataudit collect --ray ADDRESS -o DIR [-- CHECK ARGS]``: one file per cluster node."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from compataudit.cli.kit import examples
from compataudit.cli.options import DebugOpt, QuietOpt, RedactOpt, VerboseOpt, plain_argument

COLLECT_EPILOG = examples(
    ("compataudit collect --ray auto -o snapshots/", "a snapshot of every node"),
    ("compataudit collect --ray auto -o reports/ -- --framework torch", "check reports"),
    ("compataudit fleet reports/", "then judge them"),
)


def register(app: typer.Typer) -> None:
    """Add the ``collect`` command to the Typer ``app``."""
    app.command("collect", epilog=COLLECT_EPILOG)(collect_command)


def collect_command(
    ray_address: Annotated[
        str,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="The Ray cluster: auto, HOST:PORT or ray://HOST:10001 (Ray is an optional extra).",
        ),
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="DIR", help="Directory for one JSON file per node.")
    ],
    check_args: Annotated[
        Optional[list[str]],  # noqa: UP045
        plain_argument(
            "[-- CHECK ARGS]",
            "Run `check --format json` with these arguments instead of `snapshot`.",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", metavar="SECONDS", help="Limit per node.")] = 300.0,
    redact: RedactOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Run snapshot (or check) on every alive node of a Ray cluster; one file per node.

    Each node's task is pinned there by node affinity and asks for all of the
    node's GPUs, so the probe and the smoke kernels see them. Files are named
    by hostname (plus the Ray node id where hostnames repeat; node-NNNN with
    --redact). Nodes that failed are listed. Then: compataudit fleet DIR.

    Exit status: 0 every alive node answered · 1 a node failed · 2 no Ray, no
    cluster at ADDRESS, or a bad option.
    """
    from compataudit.cli.kit import guarded

    def run() -> int:
        from pathlib import Path

        from compataudit.cli.kit import note
        from compataudit.plan.collect_ray import collect

        args = None if check_args is None else list(check_args)
        result = collect(ray_address, Path(output), args, redact=redact, timeout=timeout)
        note(result.summary(), quiet=quiet and not result.failed)
        return 1 if result.failed or not result.nodes else 0

    raise typer.Exit(guarded(run, debug=debug))
