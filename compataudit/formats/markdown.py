"""A Markdown report: the stack, the findings with their fixes, the smoke kernels.

Used on its own (``--format markdown``, e.g. for a pull-request comment) and as
the GitHub job summary (:func:`compataudit.formats.github.write_step_summary`).
"""

from __future__ import annotations

from compataudit.distributions import AUDITED_STACK
from compataudit.formats import RenderContext
from compataudit.model import Environment, Finding, Report, Severity, SmokeResult
from compataudit.probes.visibility import split_gpus
from compataudit.render import describe_stack, is_command
from compataudit.sanitise import clean, clean_markdown

ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def cell(text: object) -> str:
    """``text`` made safe for one Markdown table cell."""
    value = clean_markdown("" if text is None else str(text).replace("\r", " ").replace("\n", " "))
    return value.replace("\\", "\\\\").replace("|", "\\|")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def headline(report: Report) -> str:
    """One line: the verdict and the counts."""
    s = report.summary
    verdict = "✅ passed" if s.exit_code == 0 else "❌ failed"
    counts = ", ".join([_plural(s.errors, "error"), _plural(s.warnings, "warning"), _plural(s.infos, "info")])
    smoke = f"; {_plural(s.smoke_failed, 'smoke kernel')} failed" if s.smoke_failed else ""
    return f"**compataudit {verdict}** — {counts}{smoke} (exit code {s.exit_code})"


def _stack_rows(env: Environment, findings: tuple[Finding, ...]) -> list[tuple[str, str, str]]:
    named = {c for f in findings for c in f.components}
    rows = [("python", env.python.version, env.python.env_kind or "")]
    platform = " ".join(p for p in (env.platform.system, env.platform.machine) if p)
    os_name = env.platform.os_name
    rows.append(("platform", os_name or platform, platform if os_name else ""))
    for pkg in env.packages:
        if pkg.name in AUDITED_STACK or pkg.name in named:  # others only when a finding names them
            build = env.build(pkg.name)
            facts = []
            if build is not None:
                facts.append(f"CUDA {build.cuda}" if build.cuda else "CPU build")
                if build.cudnn:
                    facts.append(f"cuDNN {build.cudnn}")
                if build.archs:
                    facts.append(" ".join(build.archs))
            rows.append((pkg.name, pkg.version, ", ".join(facts)))
    nv = env.nvidia
    if nv.driver_version:
        rows.append(
            (
                "nvidia-driver",
                nv.driver_version,
                f"CUDA {nv.cuda_driver_version}" if nv.cuda_driver_version else "",
            )
        )
    else:
        rows.append(("nvidia-driver", "—", f"not found ({nv.status.value})"))
    hidden = split_gpus(env)[1]
    for gpu in nv.gpus:
        cc = f"compute capability {gpu.compute_capability}" if gpu.compute_capability else ""
        if gpu in hidden:
            cc = ", ".join(filter(None, (cc, "hidden by CUDA_VISIBLE_DEVICES")))
        rows.append((f"gpu {gpu.index}", gpu.name, cc))
    return rows


def _is_command(text: str) -> bool:
    """A fix that is a shell command goes in backticks; prose does not."""
    return "`" not in text and is_command(text)


def _finding_block(f: Finding) -> list[str]:
    lines = [f"### {ICONS[f.severity]} `{f.code}` {clean_markdown(f.title)}", ""]
    if f.detail:
        lines += [clean_markdown(f.detail), ""]
    if f.fix:
        fix = clean(f.fix)
        lines += [f"**Fix:** `{fix}`" if _is_command(fix) else f"**Fix:** {clean_markdown(fix)}", ""]
    if f.components:
        lines += ["Components: " + ", ".join(f"`{c}`" for c in f.components), ""]
    if f.sources:
        lines += ["Sources: " + ", ".join(f"<{s}>" for s in f.sources), ""]
    return lines


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _smoke_row(r: SmokeResult) -> str:
    error = "" if r.max_rel_error is None else f"{r.max_rel_error:.1e}"
    cells = [
        r.framework,
        r.device,
        r.dtype,
        r.status.value,
        _ms(r.forward_ms),
        _ms(r.backward_ms),
        error,
        r.detail or "",
    ]
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def render(report: Report, ctx: RenderContext) -> str:
    """The report as GitHub-flavoured Markdown."""
    out = [
        "# compataudit report",
        "",
        headline(report),
        "",
        "## Stack",
        "",
        "| Component | Version | Build |",
        "| --- | --- | --- |",
    ]
    out += [
        f"| {cell(a)} | {cell(b)} | {cell(c)} |"
        for a, b, c in _stack_rows(report.environment, report.findings)
    ]
    env = report.environment
    if env.target is not None:
        out += [
            "",
            f"Audited environment: {cell(env.target.kind)} `{clean(env.target.path).replace('`', chr(39))}` "
            f"(chosen by {cell(env.target.selected_by)})",
        ]
    described = describe_stack(env)
    if described is not None:
        out += ["", cell(described[0])]
        if described[1]:
            out += ["", f"The installer would change: {cell(described[1])}"]
    if env.notes:
        out += ["", "## Notes", "", *(f"- {cell(note)}" for note in env.notes)]
    out += ["", "## Findings", ""]
    if not report.findings:
        out += ["No findings.", ""]
    for f in report.findings:
        out += _finding_block(f)
    out += ["## Smoke kernels", ""]
    if report.smoke:
        out += [
            "| Framework | Device | dtype | Status | Forward ms | Backward ms | Max rel. error | Detail |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | --- |",
        ]
        out += [_smoke_row(r) for r in report.smoke]
        out.append("")
    else:
        out += ["Not run.", ""]
    out.append(f"<sub>compataudit {report.tool_version}</sub>")
    return "\n".join(out) + "\n"
