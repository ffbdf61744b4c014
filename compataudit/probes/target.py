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
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from compataudit.errors import UsageError
from compataudit.files import read_regular
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


# An honest answer is a few KiB (sys.path of a big environment); more is not read.
ANSWER_LIMIT = 256 * 1024
_VERSION = re.compile(r"^\d{1,2}\.\d{1,3}(\.\d{1,3})?([a-z]+\d*)?\+?$")
_MAX_TEXT = 4096  # one path, one executable
_MAX_PATHS = 10_000


def ask_interpreter(python: str, timeout: float | None = None) -> dict[str, object] | None:
    """Version, prefix and import path of ``python`` (one run, isolated mode); None if it fails
    or its answer is not what the question asks for (types, sizes, a version that is one).

    It runs under the process lifecycle of every child: its own process group, killed
    with whatever it started when it times out, and on Ctrl-C or SIGTERM with the rest."""
    limit_s = INTERPRETER_TIMEOUT if timeout is None else timeout
    answer = _run_bounded([python, "-I", "-c", _QUESTION], limit_s, ANSWER_LIMIT)
    if answer is None:
        return None
    lines = answer.decode("utf-8", errors="replace").strip().splitlines()
    try:
        facts = json.loads(lines[-1])
    except (ValueError, IndexError, RecursionError):
        return None
    return facts if _valid_answer(facts) else None


def _run_bounded(argv: list[str], timeout: float, limit: int) -> bytes | None:
    """What ``argv`` prints on stdout within ``timeout`` seconds, at most ``limit`` bytes;
    None when it cannot start, fails, hangs or says too much. Its group is always killed."""
    import select
    import time

    from compataudit import lifecycle

    try:
        proc = lifecycle.spawn(argv, stderr=subprocess.DEVNULL)
    except OSError:
        return None
    try:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        size = 0
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([fd], [], [], min(left, 0.2))
            if not ready:
                if proc.poll() is not None and not select.select([fd], [], [], 0.2)[0]:
                    break  # it exited; a helper it left holds the pipe open
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        else:
            return None  # out of time
        try:
            code = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None
        return b"".join(chunks) if code == 0 else None
    finally:
        lifecycle.stop(proc)
        if proc.stdout is not None:
            proc.stdout.close()


def _short_text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= _MAX_TEXT


def valid_version(value: object) -> bool:
    """Whether ``value`` is a Python version as an interpreter or pyvenv.cfg states it."""
    return isinstance(value, str) and _VERSION.match(value) is not None


def _valid_answer(facts: object) -> bool:
    if not isinstance(facts, dict) or not valid_version(facts.get("version")):
        return False
    if not all(
        _short_text(facts.get(k, "")) for k in ("implementation", "executable", "prefix", "base_prefix")
    ):
        return False
    path = facts.get("path", [])
    if not isinstance(path, list) or len(path) > _MAX_PATHS or not all(_short_text(p) for p in path):
        return False
    bits = facts.get("bits")
    return bits is None or (isinstance(bits, int) and not isinstance(bits, bool) and bits in (32, 64))


def probe_target(target: AuditTarget, host: Environment) -> Environment:
    """``host`` (this machine's GPU, driver, OS facts) with ``target``'s Python and packages."""
    from compataudit.probes.builds import probe_builds
    from compataudit.probes.extensions import probe_environment_extensions
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
    builds = probe_builds(packages)
    extensions = probe_environment_extensions(packages, builds, target.python)
    env = replace(
        host, python=python, packages=tuple(packages), builds=builds, extensions=extensions, target=target
    )
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
        for line in read_regular(prefix / "pyvenv.cfg").decode("utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info") and valid_version(value.strip()):
                return value.strip()
    except OSError:
        pass
    for record in sorted((prefix / "conda-meta").glob("python-3*.json")):
        parts = record.name.split("-")
        if len(parts) >= 3 and valid_version(parts[1]):
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
