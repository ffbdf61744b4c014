"""What-if mode: build or amend an Environment from flags instead of probing.

``--pin torch==2.5.1+cu124`` replaces (or adds) a distribution; the build
facts read from the old install no longer apply, so they are dropped and the
checks take the pinned variant (or the index's default one) from the matrices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from compataudit.audit import EnvOptions
from compataudit.clikit import read_text_input
from compataudit.errors import CompatAuditError, InputError, UsageError
from compataudit.model import (
    Environment,
    Gpu,
    NvidiaInfo,
    Package,
    PlatformInfo,
    ProbeStatus,
    PythonInfo,
    canonical_name,
)
from compataudit.probes.builds import TENSORFLOW_DISTRIBUTIONS
from compataudit.versions import driver_tuple, parse_version

_PYTHON_RE = re.compile(r"^3\.\d{1,2}(\.\d{1,3})?$")
_CC_RE = re.compile(r"^\d{1,2}\.\d$")
_PIN_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*===?\s*(\S+?)\s*$")

# The framework whose build facts a pinned distribution replaces.
_BUILD_OF = {"torch": "torch", **dict.fromkeys(TENSORFLOW_DISTRIBUTIONS, "tensorflow")}


def empty_environment() -> Environment:
    """``--no-probe``: nothing known; Linux x86_64 is assumed for platform-specific rules."""
    return Environment(
        python=PythonInfo(version="", executable=None),
        platform=PlatformInfo(system="Linux", machine="x86_64"),
        nvidia=NvidiaInfo(status=ProbeStatus.SKIPPED),
        origin="what-if",
    )


def parse_pin(text: str, where: str = "--pin") -> tuple[str, str]:
    """``NAME==VERSION`` -> (canonical name, version); UsageError otherwise."""
    match = _PIN_RE.match(text.split(";", 1)[0])
    if not match:
        raise UsageError(f"{where} {text!r}: expected NAME==VERSION, e.g. torch==2.5.1+cu124")
    name, version = canonical_name(match.group(1)), match.group(3)
    if parse_version(version) is None:
        raise UsageError(f"{where} {text!r}: {version!r} is not a valid version")
    return name, version


def read_requirements(path: str) -> list[tuple[str, str]]:
    """The ``NAME==VERSION`` pins of a requirements file; InputError for anything else."""
    try:
        text = read_text_input(path, "requirements file")
    except CompatAuditError as exc:
        raise InputError(str(exc)) from None
    from packaging.requirements import InvalidRequirement, Requirement

    pins = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):  # comments, -r/--index-url options
            continue
        try:
            Requirement(line)
        except InvalidRequirement as exc:
            raise InputError(f"{path}:{number}: not a requirement: {line!r} ({exc})") from None
        try:
            pins.append(parse_pin(line, f"{path}:{number}"))
        except UsageError:
            raise InputError(
                f"{path}:{number}: only exact pins (NAME==VERSION) can be audited, got {line!r}"
            ) from None
    return pins


def _replace_packages(env: Environment, pins: Iterable[tuple[str, str]]) -> Environment:
    packages = {p.name: p for p in env.packages}
    dropped_builds = set()
    for name, version in pins:
        if name in TENSORFLOW_DISTRIBUTIONS:
            # One TensorFlow at a time: pinning a variant replaces whichever is installed.
            for other in TENSORFLOW_DISTRIBUTIONS:
                packages.pop(other, None)
        packages[name] = Package(name=name, version=version, pinned=True)
        if name in _BUILD_OF:
            dropped_builds.add(_BUILD_OF[name])
    builds = tuple(b for b in env.builds if b.framework not in dropped_builds)
    return replace(env, packages=tuple(sorted(packages.values(), key=lambda p: p.name)), builds=builds)


def _gpus(ccs: Iterable[str]) -> tuple[Gpu, ...]:
    gpus = []
    for index, cc in enumerate(ccs):
        if not _CC_RE.match(cc.strip()):
            raise UsageError(f"--gpu-cc {cc!r}: expected a compute capability such as 8.6")
        gpus.append(Gpu(index=index, name="what-if GPU", compute_capability=cc.strip()))
    return tuple(gpus)


def apply_what_if(env: Environment, opts: EnvOptions) -> Environment:
    """``env`` with the what-if flags of ``opts`` applied (validated: UsageError/InputError)."""
    if not opts.what_if:
        return env
    pins = [parse_pin(text) for text in opts.pins]
    for path in opts.requirements:
        pins.extend(read_requirements(path))
    env = _replace_packages(env, pins)
    if opts.python is not None:
        if not _PYTHON_RE.match(opts.python.strip()):
            raise UsageError(f"--python {opts.python!r}: expected a version such as 3.11 or 3.11.7")
        env = replace(
            env,
            python=PythonInfo(
                version=opts.python.strip(), executable=None, implementation=env.python.implementation
            ),
        )
    if opts.driver is not None or opts.gpu_ccs:
        if opts.driver is not None and driver_tuple(opts.driver) is None:
            raise UsageError(f"--driver {opts.driver!r}: expected a driver version such as 550.54.14")
        gpus = _gpus(opts.gpu_ccs) if opts.gpu_ccs else env.nvidia.gpus
        driver = opts.driver if opts.driver is not None else env.nvidia.driver_version
        env = replace(
            env,
            nvidia=NvidiaInfo(
                status=ProbeStatus.OK,
                source="what-if",
                driver_version=driver,
                cuda_driver_version=None if opts.driver is not None else env.nvidia.cuda_driver_version,
                gpus=gpus,
                visible_devices=env.nvidia.visible_devices,
            ),
        )
    return replace(env, origin="what-if")
