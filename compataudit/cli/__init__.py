"""The command line: the Typer app (``app``), its options, output, errors and configuration.

``main`` is the console entry point (``compataudit = "compataudit.cli:main"``); it imports
the app only when called, so importing this package costs nothing.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    """Run compataudit with ``argv`` (default: ``sys.argv[1:]``)."""
    from compataudit.cli.app import main as run

    run(argv)
