"""A small API for noxfiles: the version matrix from compataudit's data, and cell checks.

In a user's ``noxfile.py``::

    import nox
    import compataudit.nox as ca

    @nox.session
    @nox.parametrize("cell", ca.params("torch", "torchvision", python="3.11", latest=3))
    def tests(session, cell):
        session.install(*ca.install_args(cell), ".")
        ca.assert_cell(session, cell, smoke=True)   # the venv holds exactly this cell
        session.run("pytest")

:func:`assert_cell` runs ``compataudit check`` *inside the session's virtualenv*
(compataudit must be installed there) and fails the session when a version or
build variant differs from the cell, or - with ``smoke=True`` - a smoke kernel
failed. Without a session it audits the current interpreter in-process.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from compataudit.distributions import FRAMEWORKS, TORCH_FAMILY, canonical_name
from compataudit.model import Environment, SmokeResult
from compataudit.render import table
from compataudit.versions import in_range, local_variant, parse_version


class CellMismatch(AssertionError):
    """The environment is not the cell it was meant to be."""


def compatible_sets(
    *packages: str,
    python: str | None = None,
    latest: int | None = None,
    driver: str | None = None,
    gpu_ccs: Sequence[str] = (),
    matrices_dir: str | None = None,
) -> list[dict[str, str]]:
    """The compatible version sets of ``packages``, newest first (``matrix compatible``)."""
    from compataudit.compat.matrices import load_matrices
    from compataudit.plan.ci_matrix import Query
    from compataudit.plan.ci_matrix import compatible_sets as generate

    query = Query(tuple(packages), python=python, driver=driver, gpu_ccs=tuple(gpu_ccs), latest=latest)
    return generate(load_matrices(matrices_dir), query)


def params(*packages: str, **kwargs: Any) -> list[Any]:
    """:func:`compatible_sets` as ``nox.param`` values with readable ids."""
    import nox

    from compataudit.plan.ci_matrix import cell_id

    return [nox.param(cell, id=cell_id(cell)) for cell in compatible_sets(*packages, **kwargs)]


def install_args(cell: Mapping[str, str]) -> list[str]:
    """pip arguments that install ``cell``; the torch variant index only when a variant is named."""
    from compataudit.compat.torch import INDEX_URL

    args = [f"{pkg}=={version}" for pkg, version in cell.items()]
    variants = {local_variant(v) for p, v in cell.items() if canonical_name(p) in TORCH_FAMILY}
    variants.discard(None)
    for variant in sorted(v for v in variants if v):
        args += ["--extra-index-url", f"{INDEX_URL}{variant}"]
    return args


def cell_differences(
    env: Environment, expected: Mapping[str, str], smoke: Iterable[SmokeResult] = ()
) -> list[str]:
    """How ``env`` (and its smoke results) differ from the cell ``expected``; empty: it is the cell.

    A version matches when its public part is equal (``2.13.0`` matches ``2.13.0+cpu``);
    a variant in the expected version (``2.5.1+cu124``) must match too; ``2.13.*`` is a range.
    """
    problems = []
    for pkg, want in expected.items():
        found = env.package(pkg)
        if found is None:
            problems.append(f"{pkg}: expected {want}, not installed")
            continue
        if not _version_matches(found.version, want):
            problems.append(f"{pkg}: expected {want}, found {found.version}")
    problems += [
        f"smoke {r.framework} {r.device} {r.dtype}: {r.status.value}" + (f" ({r.detail})" if r.detail else "")
        for r in smoke
        if r.status.failed
    ]
    return problems


def _version_matches(found: str, want: str) -> bool:
    if parse_version(found) is None:
        return found.strip() == want.strip()
    spec = want if want.lstrip()[:1] in "<>=!~" else f"=={want}"
    return bool(in_range(found, spec))


def assert_cell(session: Any | None, expected: Mapping[str, str], *, smoke: bool = False) -> None:
    """Fail unless the environment is the cell ``expected`` (and its smoke kernels pass).

    With a nox ``session``: audits the session's virtualenv and calls ``session.error``.
    With None: audits this interpreter and raises :class:`CellMismatch`.
    """
    if session is None:
        env, results = _audit_here(smoke)
    else:
        env, results = _audit_session(session, smoke)
    problems = cell_differences(env, expected, results)
    if problems:
        message = "environment is not the cell " + _describe(expected) + ": " + "; ".join(problems)
        if session is not None:
            session.error(message)
        raise CellMismatch(message)


def _describe(cell: Mapping[str, str]) -> str:
    return " ".join(f"{k}=={v}" for k, v in cell.items())


def _audit_here(smoke: bool) -> tuple[Environment, tuple[SmokeResult, ...]]:
    from compataudit.audit import run_audit
    from compataudit.options import AuditOptions, EnvOptions
    from compataudit.sources import build_environment

    env = build_environment(EnvOptions())
    if not smoke:
        return env, ()
    report = run_audit(env, AuditOptions(smoke=True))
    return env, report.smoke


def _audit_session(session: Any, smoke: bool) -> tuple[Environment, tuple[SmokeResult, ...]]:
    with tempfile.TemporaryDirectory(prefix="compataudit-cell-") as tmp:
        out = Path(tmp) / "report.json"
        args = ["compataudit", "check", "--format", "json", "-o", str(out), "--fail-on", "never"]
        if not smoke:
            args.append("--no-smoke")
        session.run(*args, silent=True, success_codes=[0, 1])
        return read_report(json.loads(out.read_text(encoding="utf-8")))


def read_report(data: Any) -> tuple[Environment, tuple[SmokeResult, ...]]:
    """The environment and smoke results of a JSON report (ModelError when malformed)."""
    from compataudit.model import ModelError, from_jsonable

    if not isinstance(data, dict):
        raise ModelError("$: a report must be a JSON object")
    env = from_jsonable(Environment, data.get("environment"), "$.environment")
    smoke = from_jsonable(tuple[SmokeResult, ...], data.get("smoke", []), "$.smoke")
    return env, smoke


def skip_reason(
    pip_report: Mapping[str, Any],
    cell: Mapping[str, str],
    *,
    allow_download: bool = False,
    allow_cuda: bool = False,
) -> str | None:
    """Why a cell should not be installed here, from ``pip install --dry-run --report``; else None.

    A cell whose resolution pulls nvidia-* CUDA wheels is skipped (gigabytes) unless
    ``allow_cuda``; one whose own packages are not on a local file source is skipped
    unless ``allow_download``.
    """
    installs = pip_report.get("install", [])
    names = {canonical_name(str(i.get("metadata", {}).get("name", ""))): i for i in installs}
    cuda = sorted(n for n in names if n.startswith("nvidia-"))
    if cuda and not allow_cuda:
        return (
            f"resolves to a CUDA build (pulls {', '.join(cuda[:3])}, ...); "
            "set COMPATAUDIT_MATRIX_ALLOW_CUDA=1 to run it"
        )
    remote = []
    for pkg in cell:
        item = names.get(canonical_name(pkg))
        url = str((item or {}).get("download_info", {}).get("url", ""))
        if item is not None and not url.startswith("file:"):
            remote.append(pkg)
    if remote and not allow_download:
        return (
            f"{', '.join(remote)} not on this machine's local package sources; "
            "set COMPATAUDIT_MATRIX_ONLINE=1 to download"
        )
    return None


def merge_reports(paths: Iterable[Path]) -> str:
    """One table of many ``check --format json`` reports (``nox -s matrix_report``)."""
    rows = [["cell", "python", "stack", "errors", "warnings", "smoke", "exit"]]
    for path in sorted(paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            env, smoke = read_report(data)
            summary = data["summary"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            rows.append([path.stem, "?", f"unreadable: {exc}", "", "", "", ""])
            continue
        stack = " ".join(f"{p.name}=={p.version}" for p in env.packages if p.name in FRAMEWORKS)
        passed = sum(1 for r in smoke if r.status.value == "pass")
        failed = sum(1 for r in smoke if r.status.failed)
        rows.append(
            [
                path.stem,
                env.python.version,
                stack,
                str(summary.get("errors")),
                str(summary.get("warnings")),
                f"{passed} pass / {failed} fail",
                str(summary.get("exit_code")),
            ]
        )
    if len(rows) == 1:
        return "no reports"
    return "\n".join(table(rows[1:], header=rows[0]))
