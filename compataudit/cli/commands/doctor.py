"""``lint`` and ``explain``: the NotImplementedError doctor on the command line.

The work lives in :mod:`compataudit.doctor`; this module declares the options,
runs the work inside :func:`~compataudit.cli.kit.guarded` (bad input: one line,
exit 2) and turns the result into an exit code.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from compataudit.cli.kit import examples
from compataudit.cli.options import (
    NO_WHAT_IF,
    DebugOpt,
    OutputOpt,
    QuietOpt,
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
    from compataudit.model import Environment


LINT_EPILOG = examples(
    ("compataudit lint model.py", "one file"),
    ("compataudit lint src/ tests/ -f json", "walk directories, JSON output"),
    ("compataudit lint . --fail-on warning", "also fail on warnings"),
    ("compataudit lint big_repo/ -j 4 --no-cache", "4 workers, no per-file cache"),
    ("compataudit lint old_keras_repo/ --no-probe", "Keras 2 or 3 from imports alone"),
    after="""
Kinds: missing-forward, missing-call, missing-backward, non-static-autograd,
missing-get-config, missing-super-init, missing-method, conv-weight-shape,
syntax-error. The code is parsed with `ast`, never imported or run. Per-file
summaries are cached by content hash under $XDG_CACHE_HOME/compataudit/lint
(~/.cache when unset). Whether `keras` / `tf.keras` mean Keras 2 or 3 comes from
the installed versions (metadata only) unless --no-probe.

Exit codes: 0 no problem at or above --fail-on; 1 problems at or above it;
2 a path does not exist or another usage error.
""",
)

EXPLAIN_EPILOG = examples(
    ("python train.py 2>&1 | compataudit explain -", "read the error from a pipe"),
    ("compataudit explain traceback.txt -f json", "a saved traceback, as JSON"),
    ("compataudit explain err.txt --no-probe --pin torch==2.5.1+cpu", "against a what-if stack"),
    after="""
The environment (probed, --snapshot, or the what-if flags) confirms or weakens
each diagnosis and makes the fix exact; --no-probe with no flags skips it.

Exit codes: 0 the input was read, with or without diagnoses (an input with no
known signature prints an empty list and a one-line note on stderr: "nothing
recognised" is an answer, not a failure); 2 the input is unreadable or another
usage error.
""",
)


def _environment(what_if: EnvOptions) -> Environment | None:
    """The environment to cross-check against; None for a bare --no-probe."""
    from compataudit.sources import build_environment

    if not what_if.probe and not what_if.snapshot and not what_if.what_if:
        return None
    try:
        return build_environment(what_if)
    except ImportError as exc:  # the probes are not all built yet: explain without them
        sys.stderr.write(
            f"compataudit: note: environment unavailable ({exc}); diagnosing from the text only\n"
        )
        return None


def register(app: typer.Typer) -> None:
    """Add the ``lint`` and ``explain`` commands to the Typer ``app``."""
    app.command("lint", epilog=LINT_EPILOG)(lint_command)
    app.command("explain", epilog=EXPLAIN_EPILOG)(explain_command)


def lint_command(
    paths: Annotated[list[str], plain_argument("PATH...", "Python files or directories to lint.")],
    fmt: TableOrJsonOpt = TableOrJson.table,
    fail_on: Annotated[
        FailOn, fail_on_option("Exit 1 when a problem is at or above LEVEL: error, warning, info, never.")
    ] = FailOn.error,
    output: OutputOpt = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", min=1, help="Worker processes (default: one per core; at most four per core)."
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Neither read nor write the per-file cache ($XDG_CACHE_HOME)."),
    ] = False,
    no_probe: Annotated[
        bool,
        typer.Option(
            "--no-probe",
            help="Ignore the installed keras/TensorFlow: Keras 2 or 3 from import paths only.",
        ),
    ] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Find model-code bugs that end in NotImplementedError (no forward, call, backward...)."""
    from compataudit.cli.kit import emit, guarded
    from compataudit.doctor.lint import lint_paths
    from compataudit.formats.lint import render_json, render_table
    from compataudit.render import use_color

    def run() -> int:
        keras = None
        if not no_probe:
            from compataudit.doctor.lint_env import probe_keras_generation

            keras = probe_keras_generation()
        result = lint_paths(paths, jobs=jobs, cache_dir=False if no_cache else None, keras=keras)
        if fmt is TableOrJson.json:
            text = render_json(result)
        else:
            text = render_table(result, color=output is None and use_color(), width=_width(output))
        emit(text, output, summary=result.summary(), quiet=quiet)
        return result.exit_code(fail_on.value)

    raise typer.Exit(guarded(run, debug=debug))


@what_if_options
def explain_command(
    source: Annotated[
        str,
        plain_argument("FILE|-", "A file holding the traceback or error text; - for stdin."),
    ] = "-",
    fmt: TableOrJsonOpt = TableOrJson.table,
    output: OutputOpt = None,
    what_if: EnvOptions = NO_WHAT_IF,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = 0,
    debug: DebugOpt = False,
) -> None:
    """Explain a traceback: ranked causes (code or environment) and the exact fix."""
    from compataudit.cli.kit import emit, guarded, note
    from compataudit.doctor.explain import explain_text
    from compataudit.files import read_text_input
    from compataudit.formats.diagnoses import render_json, render_table
    from compataudit.render import use_color

    def run() -> int:
        if source == "-" and sys.stdin.isatty():
            note("reading the error text from stdin (end with Ctrl-D)", quiet=quiet)
        text = read_text_input(source, "explain: input", errors="replace")
        env = _environment(what_if)
        diagnoses = explain_text(text, env)
        if not diagnoses:
            note("note: no known error signature in the input", quiet=quiet)
        if fmt is TableOrJson.json:
            rendered = render_json(diagnoses)
        else:
            rendered = render_table(diagnoses, color=output is None and use_color(), width=_width(output))
        emit(rendered, output, summary=f"{len(diagnoses)} diagnosis(es)", quiet=quiet)
        return 0

    raise typer.Exit(guarded(run, debug=debug))


def _width(output: str | None) -> int | None:
    """Wrap to the terminal when printing to one (or to COLUMNS when set)."""
    import sys

    from compataudit.render import terminal_width

    return terminal_width(sys.stdout if output is None else None)
