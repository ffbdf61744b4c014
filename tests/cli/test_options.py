"""The what-if option group: declared once, the same on every command that takes it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

import compataudit
from compataudit.cli.app import register_all_commands
from compataudit.cli.options import NO_WHAT_IF, WHAT_IF_PANEL, what_if_flags, what_if_options
from compataudit.options import EnvOptions

PACKAGE = Path(compataudit.__file__).parent


def _group_flags() -> list[str]:
    """The group's flags as a user types them, in order (read from the one declaration)."""
    app = typer.Typer(add_completion=False)
    app.command()(what_if_flags)
    return [param.opts[0] for param in typer.main.get_command(app).params]


GROUP_FLAGS = _group_flags()


def _commands() -> dict[str, Any]:
    """Every command of the full app by its path ("check", "matrix compatible"), as click sees it."""
    found: dict[str, Any] = {}

    def walk(prefix: str, group: Any) -> None:
        for name, command in group.commands.items():
            path = f"{prefix} {name}".strip()
            if hasattr(command, "commands"):
                walk(path, command)
            else:
                found[path] = command

    walk("", typer.main.get_command(register_all_commands()))
    return found


def _describe(param: Any) -> tuple[Any, ...]:
    """What a user sees of an option and what the command receives from it."""
    return (
        param.name,
        tuple(param.opts),
        tuple(param.secondary_opts),
        param.help,
        param.metavar,
        param.multiple,
        param.is_flag,
        param.default,
        getattr(param, "rich_help_panel", None),
    )


def test_the_group_holds_every_what_if_flag_in_help_order() -> None:
    assert GROUP_FLAGS == [
        "--pin",
        "--requirements",
        "--onto-current",
        "--extra",
        "--group",
        "--resolve",
        "--python",
        "--driver",
        "--gpu-cc",
        "--snapshot",
        "--no-probe",
        "--env",
    ]


def test_the_what_if_panel_is_declared_in_one_place_only() -> None:
    """No module but the group's own declaration puts an option in the "What-if" panel."""
    panel_uses: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "rich_help_panel":
                panel_uses.append(f"{path.relative_to(PACKAGE)}:{node.value.lineno}")
            if isinstance(node, ast.Constant) and node.value == WHAT_IF_PANEL:
                panel_uses.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    # the panel's name, and the one helper that passes it to typer.Option
    assert len(panel_uses) == 2, panel_uses
    assert all(use.startswith("cli/options.py:") for use in panel_uses), panel_uses


def test_every_command_with_what_if_flags_has_the_whole_group_the_same_way() -> None:
    group = None
    takers = []
    for path, command in _commands().items():
        flags = [p for p in command.params if p.opts[0] in GROUP_FLAGS]
        if not any(getattr(p, "rich_help_panel", None) == WHAT_IF_PANEL for p in flags):
            continue
        takers.append(path)
        described = [_describe(p) for p in flags]
        group = group or described
        assert described == group, path
        # contiguous, in the group's order: spliced where the command's EnvOptions parameter stood
        names = [p.opts[0] for p in command.params]
        start = names.index("--pin")
        assert names[start : start + len(GROUP_FLAGS)] == GROUP_FLAGS, path
    assert sorted(takers) == ["check", "explain", "suggest"]


# Options that share a what-if flag's name but not its meaning, so are declared apart.
HOMONYMS = {
    # version-set filters, not an environment: "only sets with wheels for this Python"
    "matrix compatible": {"--python", "--driver", "--gpu-cc"},
    # lint reads Keras 2 or 3 from import paths instead of the installed versions
    "lint": {"--no-probe"},
    # the environment only (no what-if): the same --env option object the group uses
    "snapshot": {"--env"},
    "smoke": {"--env"},
}


def test_no_command_declares_a_what_if_flag_of_its_own() -> None:
    for path, command in _commands().items():
        if path in ("check", "explain", "suggest"):
            continue
        own = {p.opts[0] for p in command.params} & set(GROUP_FLAGS)
        assert own == HOMONYMS.get(path, set()), path
        assert all(getattr(p, "rich_help_panel", None) != WHAT_IF_PANEL for p in command.params), path


def test_snapshot_and_smoke_env_is_the_groups_env() -> None:
    commands = _commands()
    group_env = next(p for p in commands["check"].params if p.opts[0] == "--env")
    for path in ("snapshot", "smoke"):
        env = next(p for p in commands[path].params if p.opts[0] == "--env")
        assert _describe(env) == _describe(group_env), path


def test_no_flags_is_this_machine() -> None:
    assert what_if_flags() == NO_WHAT_IF == EnvOptions()
    assert NO_WHAT_IF.probe and not NO_WHAT_IF.what_if


def test_flags_become_one_env_options() -> None:
    opts = what_if_flags(
        pin=["torch==2.5.1+cu124"],
        requirements=["pyproject.toml"],
        onto_current=True,
        extra=["cuda"],
        group=["test"],
        resolve=True,
        python="3.11",
        driver="550.54.14",
        gpu_cc=["8.6", "9.0"],
        env_path=".venv",
    )
    assert opts == EnvOptions(
        pins=("torch==2.5.1+cu124",),
        requirements=("pyproject.toml",),
        python="3.11",
        driver="550.54.14",
        gpu_ccs=("8.6", "9.0"),
        env_path=".venv",
        onto_current=True,
        extras=("cuda",),
        groups=("test",),
        ask_pip=True,
    )
    assert not what_if_flags(snapshot="node07.json").probe  # a snapshot replaces the probe
    assert not what_if_flags(no_probe=True).probe


@what_if_options
def _toy(name: str = "x", what_if: EnvOptions = NO_WHAT_IF, *, last: int = 0) -> tuple[str, EnvOptions, int]:
    return name, what_if, last


def test_the_decorator_splices_the_flags_where_the_parameter_stood() -> None:
    names = list(inspect.signature(_toy).parameters)
    flags = list(inspect.signature(what_if_flags).parameters)
    assert names == ["name", *flags, "last"]
    assert _toy.__name__ == "_toy"
    assert _toy("y", pin=["jax==0.4.30"], no_probe=True, last=2) == (
        "y",
        EnvOptions(pins=("jax==0.4.30",), probe=False),
        2,
    )
    assert _toy() == ("x", NO_WHAT_IF, 0)


def test_typer_parses_the_group_into_one_value() -> None:
    seen: list[EnvOptions] = []
    app = typer.Typer()

    @app.command()
    @what_if_options
    def show(what_if: EnvOptions = NO_WHAT_IF) -> None:
        seen.append(what_if)

    args = ["--pin", "torch==2.5.1", "-r", "a.txt", "-r", "b.txt", "--gpu-cc", "8.6", "--no-probe"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert seen == [
        EnvOptions(pins=("torch==2.5.1",), requirements=("a.txt", "b.txt"), gpu_ccs=("8.6",), probe=False)
    ]


def _needs_one(what_if: EnvOptions, other: EnvOptions = NO_WHAT_IF) -> None: ...


def _needs_none(name: str = "") -> None: ...


def _clashes(python: str = "", what_if: EnvOptions = NO_WHAT_IF) -> None: ...


@pytest.mark.parametrize(
    ("command", "why"),
    [(_needs_one, "exactly one"), (_needs_none, "exactly one"), (_clashes, r"\['python'\] clash")],
)
def test_a_command_that_cannot_take_the_group_fails_at_import(command: Any, why: str) -> None:
    with pytest.raises(TypeError, match=why):
        what_if_options(command)
