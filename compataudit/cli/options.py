"""Option declarations shared by several commands (what-if flags, output flags).

Commands declare their parameters with these ``Annotated`` aliases so that
``--output`` or ``--quiet`` mean the same thing everywhere. The what-if flags are
one group, declared once by :func:`what_if_flags`: a command decorated with
:func:`what_if_options` takes them all as one :class:`~compataudit.options.EnvOptions`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Annotated, Any, Optional, TypeVar

import typer

from compataudit.cli.fast import what_if_of
from compataudit.model import FailOn
from compataudit.options import EnvOptions

T = TypeVar("T")


class TableOrJson(str, enum.Enum):
    """``--format`` of the commands that print a table for people or JSON for machines."""

    table = "table"
    json = "json"


def fail_on_option(help_text: str) -> Any:
    """``--fail-on LEVEL`` with the levels of :class:`~compataudit.model.FailOn`."""
    return typer.Option("--fail-on", metavar="LEVEL", help=help_text)


FailOnOpt = Annotated[
    Optional[FailOn],  # noqa: UP045
    fail_on_option("Exit 1 for findings at or above LEVEL: error (default), warning, info, never."),
]


TableOrJsonOpt = Annotated[TableOrJson, typer.Option("--format", "-f", help="Output format.")]


class FleetFormat(str, enum.Enum):
    """``fleet --format``: a table, JSON, one self-contained HTML page, or Prometheus text."""

    table = "table"
    json = "json"
    html = "html"
    prometheus = "prometheus"


# The what-if option group. Typer has no option groups, so the group is one function,
# what_if_flags: its parameters are every what-if flag (each declared once, by the aliases
# below), in help order, and calling it with the parsed values builds the EnvOptions.
# @what_if_options splices these parameters into the signature typer reads of a command
# that asks for an EnvOptions. Only what_if_flags uses the aliases.
WHAT_IF_PANEL = "What-if"


def _what_if(*decls: str, help_text: str, metavar: str | None = None) -> Any:
    """A ``typer.Option`` shown in the "What-if" panel of --help."""
    return typer.Option(*decls, metavar=metavar, help=help_text, rich_help_panel=WHAT_IF_PANEL)


# typer resolves these annotations at run time, so they use typing.Optional/List
# spellings that work on Python 3.10.
PinOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    _what_if(
        "--pin",
        metavar="NAME==VERSION",
        help_text="Add or replace a distribution (repeatable). A local label picks the build "
        "variant: torch==2.5.1+cu124, torch==2.9.0+cpu.",
    ),
]
RequirementsOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    _what_if(
        "--requirements",
        "-r",
        metavar="FILE",
        help_text="Audit the environment FILE builds (repeatable): a requirements file, "
        "pyproject.toml, lock file (uv.lock, pylock.toml, poetry.lock, Pipfile.lock), "
        "environment.yml or Dockerfile. Dockerfiles and lock files stand alone; a requirements "
        "file or pyproject.toml is a fresh environment on this Python (see --onto-current). "
        "Ranges are resolved to what the installer would pick. The driver and GPUs stay this "
        "machine's (or --driver/--gpu-cc).",
    ),
]
OntoCurrentOpt = Annotated[
    bool,
    _what_if(
        "--onto-current",
        help_text="Install the -r requirements files / pyproject.toml into the current (or --env) "
        "environment, as pip install -r would, instead of a fresh one; the report names what the "
        "installer would upgrade or downgrade.",
    ),
]
ExtraOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    _what_if(
        "--extra",
        metavar="NAME",
        help_text="With -r pyproject.toml: also its \\[project.optional-dependencies] NAME (repeatable).",
    ),
]
ResolveOpt = Annotated[
    bool,
    _what_if(
        "--resolve",
        help_text="Ask pip itself what it would install for the -r requirements files / "
        "pyproject.toml (pip install --dry-run --report, with your pip configuration and index: "
        "this uses the network) instead of compataudit's release data.",
    ),
]
GroupOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    _what_if(
        "--group",
        metavar="NAME",
        help_text="With -r pyproject.toml: also its \\[dependency-groups] NAME (repeatable).",
    ),
]
PythonOpt = Annotated[
    Optional[str],  # noqa: UP045
    _what_if("--python", metavar="X.Y[.Z]", help_text="Interpreter version."),
]
DriverOpt = Annotated[
    Optional[str],  # noqa: UP045
    _what_if("--driver", metavar="VERSION", help_text="NVIDIA driver version, e.g. 550.54.14."),
]
GpuCcOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    _what_if("--gpu-cc", metavar="X.Y", help_text="A GPU of that compute capability (repeatable)."),
]
SnapshotOpt = Annotated[
    Optional[str],  # noqa: UP045
    _what_if(
        "--snapshot",
        metavar="FILE",
        help_text="Start from a saved snapshot (or JSON report) instead of this machine.",
    ),
]
NoProbeOpt = Annotated[
    bool,
    _what_if("--no-probe", help_text="Start from an empty environment: audit only what the flags say."),
]
EnvOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--env",
        metavar="PATH",
        help="Audit the Python environment at PATH (a venv, a conda prefix or an interpreter) "
        "instead of the one compataudit runs in.",
    ),
]
MatricesOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--matrices",
        metavar="DIR",
        envvar="COMPATAUDIT_MATRICES",
        help="Use the compatibility data in DIR instead of the bundled matrices.",
    ),
]
OutputOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write the report to FILE (atomically) instead of stdout."
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only the result: no headings, no summary line on stderr."),
]
VerboseOpt = Annotated[
    int,
    typer.Option(
        "--verbose", "-v", count=True, metavar="", show_default=False, help="More detail (repeat for more)."
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an internal error.")]
# The smoke kernels' options, the same on `check` and `smoke`.
SmokeTimeoutOpt = Annotated[
    Optional[float],  # noqa: UP045
    typer.Option(
        "--smoke-timeout", metavar="SECONDS", help="Hard limit per framework's kernels (default 120)."
    ),
]
FrameworkOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--framework", metavar="NAME", help="Only these frameworks' kernels: torch, tensorflow, keras, jax."
    ),
]
DeviceOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--device", metavar="DEVICE", help="Only these devices: cpu, cuda, cuda:1, mps."),
]
RedactOpt = Annotated[
    bool, typer.Option("--redact", help="Drop hostnames, user names, home paths, GPU UUIDs and serials.")
]


def what_if_flags(
    pin: PinOpt = None,
    requirements: RequirementsOpt = None,
    onto_current: OntoCurrentOpt = False,
    extra: ExtraOpt = None,
    group: GroupOpt = None,
    resolve: ResolveOpt = False,
    python: PythonOpt = None,
    driver: DriverOpt = None,
    gpu_cc: GpuCcOpt = None,
    snapshot: SnapshotOpt = None,
    no_probe: NoProbeOpt = False,
    env_path: EnvOpt = None,
) -> EnvOptions:
    """The what-if flags as one value (validated later, by ``build_environment``).

    Its signature is the group: :func:`what_if_options` gives these parameters to a command.
    The value is built where the entry point's fast path builds it too.
    """
    return what_if_of(locals())  # exactly the parameters: nothing else is bound yet


# What a command's ``EnvOptions`` parameter holds when no what-if flag is given: this machine.
NO_WHAT_IF = EnvOptions()


def what_if_options(command: Callable[..., T]) -> Callable[..., T]:
    """Give ``command`` the what-if flags in place of its one parameter typed ``EnvOptions``.

    The signature typer reads has :func:`what_if_flags`' parameters where that parameter
    stood (so the flags keep their place in --help); the command itself is called with
    the flags' values built into one :class:`~compataudit.options.EnvOptions`.
    """
    import functools
    import inspect

    own = inspect.signature(command, eval_str=True)
    slots = [p.name for p in own.parameters.values() if p.annotation is EnvOptions]
    if len(slots) != 1:
        raise TypeError(f"{command.__name__}: needs exactly one parameter typed EnvOptions, has {slots}")
    flags = inspect.signature(what_if_flags, eval_str=True).parameters
    clash = sorted(set(flags) & set(own.parameters))
    if clash:
        raise TypeError(f"{command.__name__}: parameter(s) {clash} clash with the what-if flags")
    params: list[inspect.Parameter] = []
    for p in own.parameters.values():
        params.extend(flags.values() if p.name == slots[0] else (p,))

    @functools.wraps(command)
    def with_what_if(*args: Any, **kwargs: Any) -> T:
        given = {name: kwargs.pop(name) for name in flags if name in kwargs}
        return command(*args, **kwargs, **{slots[0]: what_if_flags(**given)})

    signature = own.replace(parameters=params)
    with_what_if.__signature__ = signature  # type: ignore[attr-defined]
    # typer also reads the type hints: give it the evaluated ones of the new signature.
    with_what_if.__annotations__ = {
        **{p.name: p.annotation for p in params if p.annotation is not p.empty},
        "return": signature.return_annotation,
    }
    return with_what_if


def _param_types() -> Any:
    """click's ``types`` module as typer uses it (vendored from typer 0.28, click before)."""
    import importlib

    try:
        return importlib.import_module("typer._click.types")
    except ModuleNotFoundError:
        return importlib.import_module("click.types")


class _Words(_param_types().ParamType):  # type: ignore[misc]
    """A plain string argument whose help shows its metavar only (no ``<str>``)."""

    name = "text"

    def get_metavar(self, param: Any, ctx: Any = None) -> str:
        return ""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        return value


def plain_argument(metavar: str, help_text: str, **kwargs: Any) -> Any:
    """``typer.Argument`` shown in --help as ``METAVAR  help`` (no type column)."""
    return typer.Argument(metavar=metavar, help=help_text, click_type=_Words(), **kwargs)
