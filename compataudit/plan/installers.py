"""Install commands in the dialect of whatever manages the audited environment.

Checks write every fix that installs or removes packages as pip commands, the common
language (``pip install "keras>=3.12" --index-url URL``, ``pip uninstall -y NAME``,
``pip install --force-reinstall --no-deps NAME==V``), several separated by ``; ``. This is
the one place that reads such a command as an :class:`InstallStep` (what to install, from
which index, forcing a reinstall or not, what to remove) and writes it for the installer
that manages the environment: pip, ``uv pip`` (a uv venv), ``uv add`` (a uv project),
``poetry add`` (a Poetry project), ``conda install -c CHANNEL`` / ``mamba install`` (for
packages conda installed; what pip installed there stays a pip command).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from compataudit.distributions import canonical_name

# What manages an environment: the value of ``PythonInfo.installer``.
INSTALLERS = ("pip", "uv", "uv-project", "poetry", "conda", "mamba")

# A pip command inside a fix: from "pip" to the end of its clause.
_PIP_COMMAND = re.compile(r"(?<![\w-])pip (install|uninstall) [^;]*")
_PYTORCH_INDEX = re.compile(r"^https://download\.pytorch\.org/whl/([\w.]+)/?$")


@dataclass(frozen=True)
class InstallStep:
    """One installer action: install ``requirements`` or remove ``names``."""

    action: str  # "install" | "uninstall"
    requirements: tuple[str, ...]  # PEP 508 strings, or names to remove
    index_url: str | None = None
    force_reinstall: bool = False
    no_deps: bool = False
    upgrade: bool = False


def parse_pip(command: str) -> InstallStep | None:
    """``pip install …`` / ``pip uninstall -y …`` as a step; None for anything else."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return None
    if len(words) < 3 or words[0] != "pip" or words[1] not in ("install", "uninstall"):
        return None
    reqs: list[str] = []
    index, force, no_deps, upgrade = None, False, False, False
    rest = iter(words[2:])
    for word in rest:
        if word in ("--index-url", "-i"):
            index = next(rest, None)
        elif word.startswith("--index-url="):
            index = word.split("=", 1)[1]
        elif word == "--force-reinstall":
            force = True
        elif word == "--no-deps":
            no_deps = True
        elif word in ("-U", "--upgrade"):
            upgrade = True
        elif word in ("-y", "--yes"):
            continue
        elif word.startswith("-"):
            return None  # an option this module does not know: leave the command as written
        else:
            reqs.append(word)
    if not reqs:
        return None
    return InstallStep(words[1], tuple(reqs), index, force, no_deps, upgrade)


def _quoted(requirement: str) -> str:
    """A requirement as one shell word: quoted when it holds ``<>[];*`` or spaces."""
    return shlex.quote(requirement) if re.search(r"[^\w.=+!~-]", requirement) else requirement


def _names(step: InstallStep) -> list[str]:
    # packaging.requirements only here: a run whose fixes need no rewriting never imports it
    from packaging.requirements import InvalidRequirement, Requirement

    out: list[str] = []
    for text in step.requirements:
        try:
            out.append(canonical_name(Requirement(text).name))
        except InvalidRequirement:
            out.append(text)
    return out


def _pip_like(step: InstallStep, program: str) -> str:
    """pip and ``uv pip`` share the syntax; uv's uninstall never asks, so it has no ``-y``."""
    if step.action == "uninstall":
        yes = " -y" if program == "pip" else ""
        return f"{program} uninstall{yes} " + " ".join(step.requirements)
    flags = [
        f
        for f, on in (
            ("--force-reinstall", step.force_reinstall),
            ("--no-deps", step.no_deps),
            ("-U", step.upgrade),
        )
        if on
    ]
    words = [program, "install", *flags, *(_quoted(r) for r in step.requirements)]
    if step.index_url:
        words += ["--index-url", step.index_url]
    return " ".join(words)


def _index_name(url: str) -> str:
    match = _PYTORCH_INDEX.match(url)
    return f"pytorch-{match.group(1)}" if match else "extra"


def _uv_project(step: InstallStep) -> str:
    if step.action == "uninstall":
        return "uv remove " + " ".join(step.requirements)
    words = ["uv", "add", *(_quoted(r) for r in step.requirements)]
    if step.force_reinstall:  # what the lock holds already is not reinstalled without it
        words += [f"--reinstall-package {name}" for name in _names(step)]
    if step.index_url:
        words += ["--index", f"{_index_name(step.index_url)}={step.index_url}"]
    return " ".join(words)


def _poetry(step: InstallStep) -> str:
    if step.action == "uninstall":
        return "poetry remove " + " ".join(step.requirements)
    reqs = " ".join(_quoted(r) for r in step.requirements)
    if not step.index_url:
        return f"poetry add {reqs}"
    name = _index_name(step.index_url)
    return f"poetry source add --priority=explicit {name} {step.index_url}; poetry add --source {name} {reqs}"


def _conda_spec(requirement: str, names: Mapping[str, str]) -> str | None:
    """``numpy<2`` as a conda match spec (``torch`` as ``pytorch``); None when conda cannot
    say it (extras, local labels, markers, URLs)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return None
    spec = str(req.specifier)
    if req.extras or req.url or req.marker or "+" in spec or "~=" in spec:
        return None
    name = canonical_name(req.name)
    return f"{names.get(name, name)}{spec}"


# What a Package.channel says when conda installed it from the environment's own channels.
_NO_CHANNEL = ("conda", "defaults", "pkgs/main")


def _conda(step: InstallStep, program: str, channels: Mapping[str, str], names: Mapping[str, str]) -> str:
    """Packages conda installed get one conda command; those pip installed keep pip's."""
    if step.action == "install" and (step.index_url or step.no_deps):
        return _pip_like(step, "pip")  # a wheel index or a metadata-only repair is pip's business
    specs: dict[str, str] = {}
    wanted: set[str] = set()
    for text, name in zip(step.requirements, _names(step), strict=True):
        if name not in channels:
            continue
        spec = names.get(name, name) if step.action == "uninstall" else _conda_spec(text, names)
        if spec:
            specs[text] = spec
            wanted.add(channels[name])
    if not specs:
        return _pip_like(step, "pip")
    flags = "".join(f" -c {c}" for c in sorted(wanted) if c not in _NO_CHANNEL)
    quoted = " ".join(_quoted(spec) for spec in specs.values())
    if step.action == "uninstall":
        lines = [f"{program} remove -y {quoted}"]
    else:
        force = " --force-reinstall" if step.force_reinstall else ""
        lines = [f"{program} install -y{force}{flags} {quoted}"]
    left = tuple(t for t in step.requirements if t not in specs)
    if left:
        lines.append(_pip_like(InstallStep(step.action, left, step.index_url, step.force_reinstall), "pip"))
    return "; ".join(lines)


def render(
    step: InstallStep,
    installer: str,
    channels: Mapping[str, str] | None = None,
    conda_names: Mapping[str, str] | None = None,
) -> str:
    """``step`` as the command(s) ``installer`` runs, several joined by ``; ``.

    ``channels``: the conda channel of each distribution conda installed (by PyPI name);
    ``conda_names``: conda's name where it differs (``torch`` -> ``pytorch``).
    """
    if installer == "uv":
        return _pip_like(step, "uv pip")
    if installer == "uv-project":
        # A lock cannot say "without its dependencies": a repair of the venv itself.
        return _pip_like(step, "uv pip") if step.no_deps else _uv_project(step)
    if installer == "poetry":
        return _poetry(step)
    if installer in ("conda", "mamba"):
        return _conda(step, installer, channels or {}, conda_names or {})
    return _pip_like(step, "pip")


def in_dialect(
    fix: str,
    installer: str | None,
    channels: Mapping[str, str] | None = None,
    conda_names: Mapping[str, str] | None = None,
) -> str:
    """``fix`` with each pip command in it rewritten for ``installer`` (pip: as written)."""
    if not installer or installer == "pip" or "pip " not in fix:
        return fix

    def one(match: re.Match[str]) -> str:
        text, comment = match.group(0), ""
        if "  #" in text:  # "pip install X  # or ..." keeps its remark
            text, comment = text.split("  #", 1)
            comment = "  #" + comment
        trail = text[len(text.rstrip()) :]
        step = parse_pip(text.strip())
        if step is None or _names(step) == ["compataudit"]:  # the tool itself: not this env's
            return match.group(0)
        return render(step, installer, channels, conda_names) + trail + comment

    return _PIP_COMMAND.sub(one, fix)
