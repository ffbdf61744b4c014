"""``--resolve``: ask pip itself what it would install (``pip install --dry-run --report``).

Opt-in only: it runs pip with the user's own configuration (index, credentials, network), in a
subprocess with a timeout, installing nothing (``--dry-run --ignore-installed``). A requirements
file is handed to pip as it is (its index options and nested files included); a pyproject.toml's
chosen requirements are written to a temporary requirements file, with the PyTorch index of its
uv sources as an extra index. The answer is the ``install`` list of pip's JSON report.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from compataudit.distributions import canonical_name
from compataudit.errors import InputError
from compataudit.inputs import StackFile

TIMEOUT = 300.0  # seconds: a cold resolution that downloads metadata takes a while


def pip_install_report(files: Sequence[StackFile], python: str | None) -> dict[str, str]:
    """Canonical name -> version pip would install for ``files`` (InputError when it cannot)."""
    from compataudit.model import ProbeStatus
    from compataudit.probes.run import run_command

    with tempfile.TemporaryDirectory(prefix="compataudit-resolve-") as tmp:
        args: list[str] = []
        for number, stack in enumerate(files):
            if stack.kind == "requirements":
                args += ["-r", str(Path(stack.path).resolve())]
            else:
                path = Path(tmp) / f"requirements-{number}.txt"
                path.write_text("\n".join(_lines(stack)) + "\n", encoding="utf-8")
                args += ["-r", str(path)]
        report = Path(tmp) / "report.json"
        argv = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
        argv += ["--report", str(report), *_python_args(python), *args]
        result = run_command(argv, timeout=TIMEOUT)
        if result.status is not ProbeStatus.OK:
            lines = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
            why = lines[-1] if lines else result.detail or "no answer"
            raise InputError(f"--resolve: pip could not resolve the requirements: {why}")
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError("--resolve: pip wrote no installation report") from None
    out = {}
    for item in data.get("install", []) if isinstance(data, dict) else []:
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if isinstance(metadata, dict) and metadata.get("name") and metadata.get("version"):
            out[canonical_name(str(metadata["name"]))] = str(metadata["version"])
    return out


def _python_args(python: str | None) -> list[str]:
    """pip resolves for the running interpreter; another audited Python is named (wheels only)."""
    if not python:
        return []
    parts = python.split(".")
    if tuple(parts[:2]) == (str(sys.version_info[0]), str(sys.version_info[1])):
        return []
    return ["--python-version", ".".join(parts[:2]), "--only-binary=:all:"]


def _lines(stack: StackFile) -> list[str]:
    lines = [w.text for w in stack.wants]
    lines += [f"{p.name}=={p.version}" + (f" ; {p.marker}" if p.marker else "") for p in stack.pins]
    variants = sorted({w.variant for w in stack.wants if w.variant})
    variants += sorted({p.version.split("+", 1)[1] for p in stack.pins if "+" in p.version} - set(variants))
    return [f"--extra-index-url https://download.pytorch.org/whl/{v}" for v in variants] + lines
