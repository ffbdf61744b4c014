"""The pipeline: environment -> checks (+ smoke kernels) -> report -> exit code.

Commands call :func:`compataudit.sources.build_environment` to get the Environment to audit (this
machine, a saved snapshot, or a what-if one) and :func:`run_audit` to turn it
into a :class:`~compataudit.model.Report`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from compataudit import __version__
from compataudit.model import Environment, Finding, Report, Severity, SmokeResult, Summary, reaches
from compataudit.options import AuditOptions

if TYPE_CHECKING:
    from compataudit.compat.matrices import Matrices


def run_audit(
    env: Environment,
    opts: AuditOptions,
    *,
    progress: Callable[[str, str], None] | None = None,
) -> Report:
    """Check ``env`` (and run the smoke kernels if asked) into a Report."""
    from compataudit.checks import CheckContext, run_checks
    from compataudit.compat.matrices import load_matrices

    matrices = load_matrices(opts.matrices_dir)
    options: dict[str, object] = {"require": opts.require}
    if opts.baseline:
        options.update(baseline=_load_baseline(opts.baseline), baseline_name=opts.baseline)
    ctx = CheckContext(env=env, matrices=matrices, options=options)
    findings = run_checks(ctx)
    if opts.code_paths:
        findings.extend(_lint_findings(opts.code_paths, env))
    smoke: list[SmokeResult] = []
    if opts.smoke and env.origin == "probe":
        from compataudit.smoke.findings import smoke_findings
        from compataudit.smoke.runner import run_smoke

        smoke = run_smoke(
            env,
            frameworks=opts.frameworks or None,
            devices=opts.devices or None,
            timeout=opts.smoke_timeout,
            progress=progress,
        )
        findings.extend(smoke_findings(smoke, env, findings))
    findings = apply_policy(in_installer_dialect(findings, env), opts)
    report = make_report(env, findings, smoke, opts.fail_on)
    return with_data_facts(report, matrices, shown=not _ignored("MAT001", opts.ignore))


def _load_baseline(path: str) -> Environment:
    from compataudit.sources.snapshot import environment_from_json, read_json_file

    return environment_from_json(read_json_file(path, "baseline"), f"baseline {path}")


def with_data_facts(report: Report, matrices: Matrices, *, shown: bool = True) -> Report:
    """``report`` with the data's date and, when ``shown``, the installs newer than the data."""
    from compataudit.compat.staleness import data_facts, newer_than_data

    stale = newer_than_data(report.environment, matrices) if shown else []
    return replace(
        report,
        data_date=data_facts(matrices).date,
        newer_than_data=tuple(f"{s.name} {s.version}" for s in stale),
    )


def in_installer_dialect(findings: Sequence[Finding], env: Environment) -> list[Finding]:
    """Each fix's pip commands as the installer that manages ``env`` writes them."""
    from compataudit.probes.installer import stack_file_installer

    from_file = stack_file_installer([p.pinned_at for p in env.packages if p.pinned_at])
    installer = from_file or env.python.installer
    if not installer or installer == "pip":
        return list(findings)
    from compataudit.plan.installers import in_dialect
    from compataudit.probes.conda import FRAMEWORKS as CONDA_TO_PYPI

    channels = {p.name: p.channel for p in env.packages if p.channel}
    conda_names: dict[str, str] = {}  # conda's own name, the first listed: torch -> pytorch
    for conda, pypi in CONDA_TO_PYPI.items():
        conda_names.setdefault(pypi, conda)
    return [
        replace(f, fix=in_dialect(f.fix, installer, channels, conda_names)) if f.fix else f for f in findings
    ]


def _ignored(code: str, ignore: Sequence[str]) -> bool:
    return any(code == ig or code.startswith(ig) for ig in ignore)


def run_smoke_audit(
    env: Environment,
    opts: AuditOptions,
    *,
    progress: Callable[[str, str], None] | None = None,
) -> Report:
    """``compataudit smoke``: the kernels only; the static findings serve to explain failures."""
    from compataudit.checks import CheckContext, run_checks
    from compataudit.compat.matrices import load_matrices
    from compataudit.smoke.findings import smoke_findings
    from compataudit.smoke.runner import run_smoke

    ctx = CheckContext(env=env, matrices=load_matrices(opts.matrices_dir), options={"require": opts.require})
    smoke = run_smoke(
        env,
        frameworks=opts.frameworks or None,
        devices=opts.devices or None,
        timeout=opts.smoke_timeout,
        progress=progress,
    )
    findings = apply_policy(in_installer_dialect(smoke_findings(smoke, env, run_checks(ctx)), env), opts)
    return with_data_facts(make_report(env, findings, smoke, opts.fail_on), ctx.matrices, shown=False)


def _lint_findings(paths: Sequence[str], env: Environment) -> list[Finding]:
    from compataudit.doctor.lint import lint_findings
    from compataudit.doctor.lint_env import environment_keras_generation

    return lint_findings(paths, environment_keras_generation(env))


def apply_policy(findings: Sequence[Finding], opts: AuditOptions) -> list[Finding]:
    """Drop ignored codes, apply severity overrides, most severe first."""
    out = []
    for f in findings:
        if _ignored(f.code, opts.ignore):
            continue
        override = opts.severity.get(f.code)
        if override:
            f = replace(f, severity=Severity(override))
        out.append(f)
    out.sort(key=lambda f: (-f.severity.rank, f.code, f.title))
    return out


def exit_code_for(findings: Sequence[Finding], smoke: Sequence[SmokeResult], fail_on: str) -> int:
    """0: nothing at/above ``fail_on`` and no smoke failure; 1 otherwise."""
    if any(r.status.failed for r in smoke):
        return 1
    return 1 if any(reaches(f.severity, fail_on) for f in findings) else 0


def make_report(
    env: Environment,
    findings: Sequence[Finding],
    smoke: Sequence[SmokeResult],
    fail_on: str = "error",
) -> Report:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    summary = Summary(
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARNING],
        infos=counts[Severity.INFO],
        smoke_failed=sum(1 for r in smoke if r.status.failed),
        exit_code=exit_code_for(findings, smoke, fail_on),
    )
    return Report(
        environment=env,
        findings=tuple(findings),
        smoke=tuple(smoke),
        summary=summary,
        tool_version=__version__,
    )
