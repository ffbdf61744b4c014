"""The command line: the Typer app (``app``), its options, output, errors and configuration.

``main`` is the console entry point (``compataudit = "compataudit.cli:main"``); it imports
the app only when called, so importing this package costs nothing.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    """Run compataudit with ``argv`` (default: ``sys.argv[1:]``).

    ``check`` with only its own options runs without importing typer (:mod:`.fast`);
    everything else goes through the Typer app.
    """
    import sys

    from compataudit.cli.kit import entry

    entry(sys.argv[1:] if argv is None else argv, _dispatch)


def _dispatch(args: list[str]) -> None:
    from compataudit.cli.fast import run_fast

    run_fast(args)  # exits when it took the command line
    from compataudit.cli.app import _run

    _run(args)
