"""What-if mode: build or amend an Environment from flags instead of probing.

``--pin torch==2.5.1+cu124`` replaces (or adds) a distribution; the build
facts read from the old install no longer apply, so they are dropped and the
checks take the pinned variant (or the index's default one) from the matrices.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import replace

from compataudit.distributions import canonical_name
from compataudit.errors import UsageError
from compataudit.model import (
    Environment,
    Gpu,
    NvidiaInfo,
    Package,
    PlatformInfo,
    ProbeStatus,
    PythonInfo,
)
from compataudit.options import EnvOptions
from compataudit.versions import driver_tuple, parse_version

_PYTHON_RE = re.compile(r"^3\.\d{1,2}(\.\d{1,3})?$")
_CC_RE = re.compile(r"^\d{1,2}\.\d$")
_PIN_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*===?\s*(\S+?)\s*$")


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


def _gpus(ccs: Iterable[str]) -> tuple[Gpu, ...]:
    gpus = []
    for index, cc in enumerate(ccs):
        if not _CC_RE.match(cc.strip()):
            raise UsageError(f"--gpu-cc {cc!r}: expected a compute capability such as 8.6")
        gpus.append(Gpu(index=index, name="what-if GPU", compute_capability=cc.strip()))
    return tuple(gpus)


def apply_what_if(env: Environment, opts: EnvOptions) -> Environment:
    """``env`` with the what-if flags of ``opts`` applied (validated: UsageError/InputError)."""
    if (opts.onto_current or opts.extras or opts.groups or opts.ask_pip) and not opts.requirements:
        flag = next(
            name
            for name, on in (
                ("--onto-current", opts.onto_current),
                ("--extra", opts.extras),
                ("--group", opts.groups),
                ("--resolve", opts.ask_pip),
            )
            if on
        )
        raise UsageError(f"{flag} applies to -r files: name one with -r FILE")
    if not opts.what_if:
        return env
    pins = [Package(name=name, version=version, pinned=True) for name, version in map(parse_pin, opts.pins)]
    # Imported here: `check` without what-if flags never pays for the input readers.
    from compataudit.inputs import read_stack_file
    from compataudit.sources.stack_files import replace_packages, resolve_ngc_bases

    files = resolve_ngc_bases(
        [read_stack_file(path, extras=opts.extras, groups=opts.groups) for path in opts.requirements]
    )
    if (opts.extras or opts.groups) and not any(f.kind == "pyproject.toml" for f in files):
        raise UsageError("--extra/--group pick a pyproject.toml's requirements: name one with -r")
    python = opts.python or next((f.python for f in files if f.python), None)
    if python is not None:
        if not _PYTHON_RE.match(python.strip()):
            where = "--python" if opts.python else next(f.path for f in files if f.python)
            raise UsageError(f"{where} {python!r}: expected a version such as 3.11 or 3.11.7")
        env = replace(
            env,
            python=PythonInfo(
                version=python.strip(), executable=None, implementation=env.python.implementation
            ),
        )
    # Markers are evaluated against the audited Python, so it is set first; --pin wins over files.
    if files:
        from compataudit.sources.build import build_from_files

        onto = env.target.path if env.target else sys.prefix
        env = build_from_files(env, files, layered=opts.onto_current, onto=onto, ask_pip=opts.ask_pip)
    env = replace_packages(env, pins)
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
                # What-if GPUs are the ones asked about: none of them is hidden.
                visible_devices=None if opts.gpu_ccs else env.nvidia.visible_devices,
            ),
        )
    return replace(env, origin="what-if")
