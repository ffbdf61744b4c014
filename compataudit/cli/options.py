"""Option declarations shared by several commands (what-if flags, output flags).

Commands declare their parameters with these ``Annotated`` aliases so that
``--pin`` or ``--format`` mean the same thing everywhere, then call
:func:`env_options` to turn the what-if flags into an
:class:`~compataudit.audit.EnvOptions`.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Optional

import typer

from compataudit.model import FailOn
from compataudit.options import EnvOptions


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


# typer resolves these annotations at run time, so they use typing.Optional/List
# spellings that work on Python 3.10.
PinOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--pin",
        metavar="NAME==VERSION",
        help="Add or replace a distribution (repeatable). A local label picks the build "
        "variant: torch==2.5.1+cu124, torch==2.9.0+cpu.",
        rich_help_panel="What-if",
    ),
]
RequirementsOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--requirements",
        "-r",
        metavar="FILE",
        help="Audit the environment FILE builds (repeatable): a requirements file, pyproject.toml, "
        "lock file (uv.lock, pylock.toml, poetry.lock, Pipfile.lock), environment.yml or Dockerfile. "
        "Dockerfiles and lock files stand alone; a requirements file or pyproject.toml is a fresh "
        "environment on this Python (see --onto-current). Ranges are resolved to what the installer "
        "would pick. The driver and GPUs stay this machine's (or --driver/--gpu-cc).",
        rich_help_panel="What-if",
    ),
]
OntoCurrentOpt = Annotated[
    bool,
    typer.Option(
        "--onto-current",
        help="Install the -r requirements files / pyproject.toml into the current (or --env) "
        "environment, as pip install -r would, instead of a fresh one; the report names what the "
        "installer would upgrade or downgrade.",
        rich_help_panel="What-if",
    ),
]
ExtraOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--extra",
        metavar="NAME",
        help="With -r pyproject.toml: also its \\[project.optional-dependencies] NAME (repeatable).",
        rich_help_panel="What-if",
    ),
]
ResolveOpt = Annotated[
    bool,
    typer.Option(
        "--resolve",
        help="Ask pip itself what it would install for the -r requirements files / pyproject.toml "
        "(pip install --dry-run --report, with your pip configuration and index: this uses the "
        "network) instead of compataudit's release data.",
        rich_help_panel="What-if",
    ),
]
GroupOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--group",
        metavar="NAME",
        help="With -r pyproject.toml: also its \\[dependency-groups] NAME (repeatable).",
        rich_help_panel="What-if",
    ),
]
PythonOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--python", metavar="X.Y[.Z]", help="Interpreter version.", rich_help_panel="What-if"),
]
DriverOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--driver",
        metavar="VERSION",
        help="NVIDIA driver version, e.g. 550.54.14.",
        rich_help_panel="What-if",
    ),
]
GpuCcOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--gpu-cc",
        metavar="X.Y",
        help="A GPU of that compute capability (repeatable).",
        rich_help_panel="What-if",
    ),
]
SnapshotOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--snapshot",
        metavar="FILE",
        help="Start from a saved snapshot (or JSON report) instead of this machine.",
        rich_help_panel="What-if",
    ),
]
NoProbeOpt = Annotated[
    bool,
    typer.Option(
        "--no-probe",
        help="Start from an empty environment: audit only what the flags say.",
        rich_help_panel="What-if",
    ),
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


def env_options(
    *,
    pin: list[str] | None = None,
    requirements: list[str] | None = None,
    python: str | None = None,
    driver: str | None = None,
    gpu_cc: list[str] | None = None,
    snapshot: str | None = None,
    no_probe: bool = False,
    env_path: str | None = None,
    onto_current: bool = False,
    extras: list[str] | None = None,
    groups: list[str] | None = None,
    ask_pip: bool = False,
) -> EnvOptions:
    """The what-if flags as one value (validated later, by ``build_environment``)."""
    return EnvOptions(
        pins=tuple(pin or ()),
        requirements=tuple(requirements or ()),
        python=python,
        driver=driver,
        gpu_ccs=tuple(gpu_cc or ()),
        snapshot=snapshot,
        probe=not no_probe and snapshot is None,
        env_path=env_path,
        onto_current=onto_current,
        extras=tuple(extras or ()),
        groups=tuple(groups or ()),
        ask_pip=ask_pip,
    )


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
