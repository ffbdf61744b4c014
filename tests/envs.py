"""Environments built from model values for the tests: ``environment(("torch", "2.5.1"))``.

One builder for the Environment most tests want (a Linux x86_64 machine holding exactly the
packages named), so that a test spells only what it varies.
"""

from __future__ import annotations

from dataclasses import replace

from compataudit.model import BuildInfo, Environment, NvidiaInfo, Package, PlatformInfo, PythonInfo


def environment(
    *pins: tuple[str, str],
    python: str = "3.11.7",
    system: str = "Linux",
    machine: str = "x86_64",
    pinned: bool = False,
    packages: tuple[Package, ...] = (),
    builds: tuple[BuildInfo, ...] = (),
    env_vars: tuple[tuple[str, str], ...] = (),
    nvidia: NvidiaInfo | None = None,
    origin: str | None = None,
) -> Environment:
    """An Environment holding exactly ``pins`` (name, version), each ``pinned`` (as from --pin or
    -r) or installed, then ``packages`` as built; ``nvidia`` and ``origin`` keep the model's
    defaults unless given."""
    env = Environment(
        python=PythonInfo(version=python),
        platform=PlatformInfo(system=system, machine=machine),
        packages=(*(Package(name, version, pinned=pinned) for name, version in pins), *packages),
        builds=builds,
        env_vars=env_vars,
    )
    if nvidia is not None:
        env = replace(env, nvidia=nvidia)
    return env if origin is None else replace(env, origin=origin)


def pins_of(**packages: str) -> tuple[tuple[str, str], ...]:
    """Keyword pins as (name, version): ``tensorflow_cpu="2.21.0"`` names tensorflow-cpu."""
    return tuple((name.replace("_", "-"), version) for name, version in packages.items())
