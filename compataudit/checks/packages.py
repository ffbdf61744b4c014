"""Consistency of the installed distributions, the way ``pip check`` sees it (and a bit more).

Requirements are evaluated against the audited environment's markers (its
Python and platform, which differ from ours for snapshots and what-if runs).
A requirement on ``tensorflow`` is met by any TensorFlow variant
(tensorflow-cpu, tensorflow-intel, ...): they are the same package under
another name, and pip's false alarm here teaches users to ignore it.
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from compataudit.checks import CheckContext
from compataudit.compat.torch import INDEX_URL
from compataudit.distributions import TENSORFLOW, TORCH_FAMILY
from compataudit.model import Environment, Finding, Package
from compataudit.rules import finding
from compataudit.versions import (
    applicable_requirements,
    in_range,
    local_variant,
    marker_environment,
    parse_version,
)

_TORCH_EXTENSIONS = ("torchvision", "torchaudio")


def _provider(env: Environment, name: str) -> Package | None:
    found = env.package(name)
    if found is None and name == "tensorflow":
        for variant in TENSORFLOW:
            found = env.package(variant)
            if found is not None:
                break
    return found


def check_requirements(ctx: CheckContext) -> Iterator[Finding]:
    """PKG001 / PKG002: every applicable Requires-Dist of every installed distribution."""
    markers = marker_environment(ctx.env)
    if markers is None:
        return
    for pkg in ctx.env.packages:
        if pkg.pinned or pkg.problem:
            continue
        for req in applicable_requirements(pkg, markers):
            dep_name = req.name
            dep = _provider(ctx.env, dep_name)
            spec = req.specifier
            if dep is None:
                yield finding(
                    "PKG001",
                    f"{pkg.name} {pkg.version} requires {dep_name}{spec}, which is not installed",
                    f"{pkg.name} declares `{req.text}` and no distribution provides {dep_name}.",
                    components=(pkg.name, dep_name),
                    fix=f'pip install "{dep_name}{spec}"',
                )
                continue
            if not spec or parse_version(dep.version) is None:
                continue
            if dep_name.startswith("nvidia-") and spec.startswith("=="):
                continue  # an exact CUDA-library pin: NVW001 reports it, with more to say
            if dep_name == "torch" and pkg.name in _TORCH_EXTENSIONS:
                continue  # TCH001 / TCH002 / TCH004 report it, with the family's fix
            if in_range(dep.version, spec) is False:
                alias = f" (as {dep.name})" if dep.name != dep_name else ""
                yield finding(
                    "PKG002",
                    f"{pkg.name} {pkg.version} requires {dep_name}{spec}, "
                    f"but {dep.version}{alias} is installed",
                    f"{pkg.name} declares `{req.text}`; the installed {dep.name} is {dep.version}.",
                    components=(pkg.name, dep.name),
                    fix=f'pip install "{dep.name}{spec}"  # or a {pkg.name} that accepts '
                    f"{dep.name} {dep.version}",
                )


def check_duplicate_modules(ctx: CheckContext) -> Iterator[Finding]:
    """PKG003: one top-level import name installed by several distributions in one place."""
    owners: dict[tuple[str, str], list[Package]] = defaultdict(list)
    for pkg in ctx.env.packages:
        if pkg.location is None:
            continue
        for module in pkg.modules:
            owners[(pkg.location, module)].append(pkg)
    for (location, module), pkgs in sorted(owners.items()):
        if len(pkgs) < 2 or _is_namespace(location, module, ctx.env):
            continue
        names = [p.name for p in pkgs]
        listed = ", ".join(f"{p.name} {p.version}" for p in pkgs)
        kept = _preferred(pkgs)
        keep = f"{kept.name}=={kept.version}" if parse_version(kept.version) else kept.name
        yield finding(
            "PKG003",
            f"`{module}` is installed by {len(pkgs)} distributions: {', '.join(names)}",
            f"{listed} all install the `{module}` package into {location}; their files "
            "overwrite each other and uninstalling one breaks the others.",
            components=names,
            fix=f"pip uninstall -y {' '.join(names)}; pip install {keep}",
        )


def _is_namespace(location: str, module: str, env: Environment) -> bool:
    if env.origin != "probe":
        return False  # a snapshot's files are not here to look at; trust the metadata
    base = Path(location) / module
    return base.is_dir() and not (base / "__init__.py").exists()


def _preferred(pkgs: list[Package]) -> Package:
    return sorted(pkgs, key=lambda p: (len(p.name), p.name))[0]


def _reinstall(pkg: Package) -> str:
    """Force-reinstall ``pkg`` as it is: a torch-family build label (``+cpu``) lives only on
    its variant index, so the command names it."""
    pin = f"=={pkg.version}" if pkg.version else ""
    variant = local_variant(pkg.version) if pkg.name in TORCH_FAMILY else None
    index = f" --index-url {INDEX_URL}{variant}" if variant else ""
    return f"pip install --force-reinstall --no-deps {pkg.name}{pin}{index}"


def check_broken_installs(ctx: CheckContext) -> Iterator[Finding]:
    """PKG004 broken metadata or files; PKG005 versions that are not PEP 440."""
    for pkg in ctx.env.packages:
        if pkg.problem:
            yield finding(
                "PKG004",
                f"{pkg.name} is installed but broken: {pkg.problem}",
                f"The metadata of {pkg.name} in {pkg.location} is inconsistent: {pkg.problem}.",
                components=(pkg.name,),
                fix=_reinstall(pkg),
            )
        elif pkg.version and parse_version(pkg.version) is None:
            yield finding(
                "PKG005",
                f"{pkg.name} has a version that is not PEP 440: {pkg.version!r}",
                "Checks that compare versions skip this distribution.",
                components=(pkg.name,),
            )


def check_duplicate_metadata(ctx: CheckContext) -> Iterator[Finding]:
    """PKG006: more than one metadata directory of one distribution in one place."""
    for pkg in ctx.env.packages:
        if not pkg.duplicates:
            continue
        where = pkg.location or "its site-packages"
        others = ", ".join(pkg.duplicates)
        stale = " ".join(shlex.quote(str(Path(where) / d)) for d in pkg.duplicates)
        yield finding(
            "PKG006",
            f"{pkg.name} {pkg.version} is installed twice: beside it lies {others}",
            f"{where} holds the metadata of {pkg.name} {pkg.version} and also {others}; "
            "an install or uninstall stopped half way.",
            components=(pkg.name,),
            fix=f"rm -rf {stale}; {_reinstall(pkg)}",
        )


CHECKS = (check_requirements, check_duplicate_modules, check_broken_installs, check_duplicate_metadata)
