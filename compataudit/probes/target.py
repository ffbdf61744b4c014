"""Another Python environment than the one compataudit runs in: ``--env PATH``.

PATH is a venv, a conda prefix or a Python interpreter. Its interpreter is run
once, under a timeout, to ask for its version and import path; distributions
are then read from those directories by the same scanner as for our own
environment (never importing anything), and a conda prefix's ``conda-meta``
adds channels, build strings and CUDA packages. When the interpreter cannot
run (wrong architecture, broken, hanging), the layout alone is read:
``pyvenv.cfg`` / ``conda-meta/python-*.json`` for the version and
``lib/python3.*/site-packages`` for the packages.

Without ``--env``: a compataudit installed with pipx or ``uv tool`` runs in an
environment with no framework; when ``VIRTUAL_ENV`` or ``CONDA_PREFIX`` names
another one, that is the environment the user means.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from compataudit.errors import UsageError
from compataudit.model import AuditTarget, Environment, PythonInfo

INTERPRETER_TIMEOUT = 20.0
_FRAMEWORKS = ("torch", "tensorflow", "tensorflow-cpu", "keras", "jax", "jaxlib")
# Run in the target interpreter (any Python 3): what compataudit needs to know about it.
_QUESTION = (
    "import json, platform, sys; print(json.dumps({'version': '%d.%d.%d' % sys.version_info[:3], "
    "'implementation': platform.python_implementation(), 'executable': sys.executable, "
    "'prefix': sys.prefix, 'base_prefix': getattr(sys, 'base_prefix', sys.prefix), "
    "'path': sys.path, 'bits': 64 if sys.maxsize > 2**32 else 32}))"
)


def find_target(path: str, selected_by: str = "--env") -> AuditTarget:
    """The environment PATH names; UsageError when it is none of venv, conda prefix, interpreter."""
    given = Path(path).expanduser()
    if given.is_file():
        if not os.access(given, os.X_OK):
            raise UsageError(f"--env {path}: not an executable Python interpreter")
        prefix = _prefix_of_interpreter(given)
        kind = "conda" if (prefix / "conda-meta").is_dir() else "interpreter"
        return AuditTarget(path=str(given), kind=kind, selected_by=selected_by, python=str(given))
    if not given.is_dir():
        raise UsageError(
            f"--env {path}: no such environment (expected a venv, a conda prefix or a Python interpreter)"
        )
    python = _interpreter_in(given)
    if (given / "conda-meta").is_dir():
        kind = "conda"
    elif (given / "pyvenv.cfg").is_file():
        kind = "venv"
    else:
        raise UsageError(f"--env {path}: not a venv (no pyvenv.cfg) or a conda prefix (no conda-meta)")
    return AuditTarget(
        path=str(given), kind=kind, selected_by=selected_by, python=str(python) if python else None
    )


def _interpreter_in(prefix: Path) -> Path | None:
    for name in ("bin/python", "bin/python3", "Scripts/python.exe", "python.exe"):
        candidate = prefix / name
        if candidate.is_file():
            return candidate
    return None


def _prefix_of_interpreter(python: Path) -> Path:
    parent = python.parent
    return parent.parent if parent.name in ("bin", "Scripts") else parent


def ask_interpreter(python: str, timeout: float = INTERPRETER_TIMEOUT) -> dict[str, object] | None:
    """Version, prefix and import path of ``python`` (one run, isolated mode); None if it fails."""
    try:
        done = subprocess.run(
            [python, "-I", "-c", _QUESTION],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    try:
        facts = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return facts if isinstance(facts, dict) else None


def probe_target(target: AuditTarget, host: Environment) -> Environment:
    """``host`` (this machine's GPU, driver, OS facts) with ``target``'s Python and packages."""
    from compataudit.probes.builds import probe_builds
    from compataudit.probes.installer import detect_installer
    from compataudit.probes.packages import scan_distributions

    given = Path(target.path)
    prefix = _prefix_of_interpreter(given) if given.is_file() else given
    facts = ask_interpreter(target.python) if target.python else None
    if facts is not None:
        paths = [p for p in _strings(facts.get("path")) if p]
        python = PythonInfo(
            version=str(facts.get("version", "")),
            implementation=str(facts.get("implementation", "CPython")),
            executable=str(facts.get("executable") or target.python),
            prefix=str(facts.get("prefix", prefix)),
            env_kind=target.kind if target.kind != "interpreter" else _kind_of(facts),
            installer=detect_installer(str(facts.get("prefix", prefix))),
            bits=bits if isinstance(bits := facts.get("bits"), int) else None,
        )
    else:
        paths = [str(p) for p in sorted(prefix.glob("lib/python3*/site-packages"))]
        paths += [str(p) for p in (prefix / "Lib" / "site-packages",) if p.is_dir()]
        python = PythonInfo(
            version=_layout_version(prefix) or "",
            executable=target.python,
            prefix=str(prefix),
            env_kind=target.kind,
            installer=detect_installer(prefix),
        )
    packages = scan_distributions(paths)
    env = replace(host, python=python, packages=tuple(packages), builds=probe_builds(packages), target=target)
    if (prefix / "conda-meta").is_dir():
        from compataudit.probes.conda import merge_conda

        env = merge_conda(env, prefix)
    return env


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _kind_of(facts: Mapping[str, object]) -> str:
    if (Path(str(facts.get("prefix", ""))) / "conda-meta").is_dir():
        return "conda"
    return "venv" if facts.get("prefix") != facts.get("base_prefix") else "system"


def _layout_version(prefix: Path) -> str | None:
    """The Python version a prefix records without running it (pyvenv.cfg, conda-meta)."""
    try:
        for line in (prefix / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info") and value.strip():
                return value.strip()
    except OSError:
        pass
    for record in sorted((prefix / "conda-meta").glob("python-3*.json")):
        parts = record.name.split("-")
        if len(parts) >= 3:
            return parts[1]
    return None


def auto_target(env: Environment, environ: Mapping[str, str] = os.environ) -> AuditTarget | None:
    """The environment VIRTUAL_ENV / CONDA_PREFIX names, when ours has no framework and it is another."""
    if any(env.package(name) is not None for name in _FRAMEWORKS):
        return None
    ours = os.path.realpath(sys.prefix)
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = environ.get(variable)
        if not value or os.path.realpath(value) == ours or not Path(value).is_dir():
            continue
        try:
            return find_target(value, selected_by=variable)
        except UsageError:
            continue
    return None
