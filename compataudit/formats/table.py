"""The human report: stack, GPU, smoke kernels, findings with fixes, a summary line."""

from __future__ import annotations

from compataudit.distributions import AUDITED_STACK, is_tensorflow
from compataudit.formats import RenderContext, summary_counts
from compataudit.model import Environment, Finding, ProbeStatus, Report, Severity, SmokeResult
from compataudit.probes.visibility import split_gpus
from compataudit.render import SEVERITY_COLOR, Style, describe_target, fix_lines, strip_ansi, table, wrap
from compataudit.sanitise import clean

_MARK = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "i"}


def render(report: Report, ctx: RenderContext) -> str:
    s = Style(ctx.color)
    lines: list[str] = []
    if not ctx.quiet:
        lines += _header(report, s, ctx.width)
        lines += _stack(report.environment, s, ctx.verbose)
        lines += _gpu(report.environment, s, ctx.width)
        if report.smoke:
            lines += _smoke(report.smoke, s, ctx.width)
    lines += _findings(report.findings, s, ctx.verbose, ctx.width)
    if not ctx.quiet:
        lines += _data_note(report, s, ctx.width)
    lines += _summary(report, s, ctx.width)
    return "\n".join(lines)


def _header(report: Report, s: Style, width: int | None) -> list[str]:
    env = report.environment
    py = env.python
    where = {"snapshot": " (from snapshot)", "what-if": " (what-if)"}.get(env.origin, "")
    parts = [clean(f"{env.platform.system} {env.platform.machine}")]
    if py.version:
        kind = f" ({clean(py.env_kind)})" if py.env_kind else ""
        parts.append(f"Python {clean(py.version)}{kind}")
    if env.platform.os_name:
        parts.append(clean(env.platform.os_name))
    title = s(f"compataudit {report.tool_version}", "bold") + where + " — "
    lines = wrap(" · ".join(parts), width, first=title, indent="  ")
    target = describe_target(env)
    if target is not None:
        lines.append(clean(f"Auditing {target}"))
    if env.stack is not None:
        lines += _stack_source(env, width)
    for note in env.notes:
        lines += wrap(clean(note), width, first="Note: ", indent="  ")
    return [*lines, ""]


def _stack_source(env: Environment, width: int | None) -> list[str]:
    """Which environment ``-r`` described: the one its files build, alone or layered."""
    from compataudit.render import describe_stack

    found = describe_stack(env)
    if found is None:
        return []
    text, changed = found
    lines = wrap(text, width, first="", indent="  ")
    if changed:
        lines += wrap(changed, width, first="  the installer would change: ", indent="    ")
    return lines


def _variant(env: Environment, name: str) -> str:
    build = env.build("torch") if name == "torch" else None
    if is_tensorflow(name):
        build = env.build("tensorflow")
    if build is None:
        return ""
    if build.cuda:
        return f"CUDA {build.cuda}" + (f", cuDNN {build.cudnn}" if build.cudnn else "")
    if build.hip:
        return f"ROCm {build.hip}"
    if build.is_cuda_build is False:
        return "CPU build"
    return ""


def _stack(env: Environment, s: Style, verbose: int) -> list[str]:
    order = {name: i for i, name in enumerate(AUDITED_STACK)}
    shown = sorted(
        (p for p in env.packages if p.name in order or (verbose and p.name.startswith("nvidia-"))),
        key=lambda p: (order.get(p.name, len(order)), p.name),
    )
    lines = [s("Stack", "bold")]
    if not shown:
        lines.append("  no deep-learning framework installed")
        if env.origin == "probe" and env.target is None:
            # most often compataudit sits in a venv of its own (pipx, uv tool, a fresh venv)
            lines.append("  (this is the Python compataudit runs in: audit another with --env PATH)")
        return [*lines, ""]
    rows = []
    for p in shown:
        note = _variant(env, p.name)
        if p.channel:
            note = (note + ", " if note else "") + (
                "conda" if p.channel == "conda" else f"conda: {clean(p.channel)}"
            )
        if p.requested and p.requested.replace(" ", "") != f"{p.name}=={p.version}":
            note = (note + ", " if note else "") + f"for {p.requested}"
        elif p.pinned:
            pinned = "pinned" if p.pinned_at or env.stack is None else "dependency"
            note = (note + ", " if note else "") + pinned
        if p.problem:
            note = (note + ", " if note else "") + "broken"
        rows.append([clean(p.name), clean(p.version) or "?", note])
    return [*lines, *table(rows, indent="  "), ""]


def _gpu(env: Environment, s: Style, width: int | None) -> list[str]:
    nv = env.nvidia
    lines = [s("GPU", "bold")]
    if nv.status is ProbeStatus.SKIPPED:
        lines.append("  not probed")
    elif nv.status is ProbeStatus.ABSENT:
        tried = ", ".join(a.source for a in nv.attempts)
        lines += wrap(f"no NVIDIA driver found (asked {tried}): CPU only", width, first="  ", indent="    ")
    elif nv.status is not ProbeStatus.OK:
        tried = "; ".join(f"{a.source}: {clean(a.detail)}" for a in nv.attempts if a.detail)
        lines += wrap(f"NVIDIA probe {nv.status.value}: {tried}", width, first="  ", indent="    ")
    else:
        driver = f"driver {clean(nv.driver_version)}" if nv.driver_version else "driver version unknown"
        cuda = f" (supports CUDA ≤ {nv.cuda_driver_version})" if nv.cuda_driver_version else ""
        lines.append(f"  {driver}{cuda} · {len(nv.gpus)} GPU(s) · via {nv.source}")
        rows = []
        hidden = split_gpus(env)[1]
        for g in nv.gpus:
            mem = f"{g.memory_total_mib} MiB" if g.memory_total_mib else ""
            mig = f"MIG {g.mig_mode}" if g.mig_mode else ""
            note = "hidden by CUDA_VISIBLE_DEVICES, not checked" if g in hidden else ""
            rows.append(
                [
                    str(g.index),
                    clean(g.name),
                    f"cc {clean(g.compute_capability) or '?'}",
                    mem,
                    clean(mig),
                    note,
                ]
            )
        lines += table(rows, indent="    ")
        if nv.visible_devices is not None:
            lines.append(f"  CUDA_VISIBLE_DEVICES={nv.visible_devices!r}")
    tk = env.toolkit
    if tk.nvcc_version or tk.cudnn_version:
        parts = []
        if tk.nvcc_version:
            parts.append(
                f"nvcc {clean(tk.nvcc_version)}" + (f" ({clean(tk.cuda_home)})" if tk.cuda_home else "")
            )
        if tk.cudnn_version:
            parts.append(f"cuDNN {clean(tk.cudnn_version)}")
        lines += wrap(", ".join(parts), width, first="  system CUDA toolkit: ", indent="    ")
    return [*lines, ""]


def _smoke(results: tuple[SmokeResult, ...], s: Style, width: int | None) -> list[str]:
    rows = []
    for r in results:
        status = r.status.value
        timing = ""
        if r.forward_ms is not None:
            timing = f"fwd {r.forward_ms:.1f} ms  bwd {(r.backward_ms or 0):.1f} ms"
        err = f"err {r.max_rel_error:.1e}" if r.max_rel_error is not None else ""
        rows.append(
            [
                r.framework,
                r.device,
                r.dtype,
                status,
                timing,
                err,
                clean((r.detail or "")[:70]) if r.status.failed or r.status.value == "skip" else "",
            ]
        )
    out = []
    for row, cells, r in zip(table(rows, indent="  "), rows, results, strict=False):
        color = "red" if r.status.failed else ("green" if r.status.value == "pass" else "dim")
        row = row.replace(f" {r.status.value} ", " " + s(r.status.value, color) + " ", 1)
        detail = cells[-1].rstrip()
        if detail and width is not None and len(strip_ansi(row)) > width:
            # the detail (last column) wraps under itself, never past the terminal's edge
            head = row[: len(row) - len(detail)]
            out += wrap(detail, width, first=head, indent=" " * len(strip_ansi(head)))
        else:
            out.append(row)
    return [s("Smoke kernels (conv2d forward + backward)", "bold"), *out, ""]


def _findings(findings: tuple[Finding, ...], s: Style, verbose: int, width: int | None) -> list[str]:
    if not findings:
        return [s("No problems found.", "green"), ""]
    lines = [s("Findings", "bold")]
    hang = " " * 13  # under the code: continuation lines, detail, fix
    for f in findings:
        mark, color = _MARK[f.severity], SEVERITY_COLOR[f.severity.value]
        head = f"  {s(mark + ' ' + f.severity.value.ljust(7), color)} {s(f.code, 'bold')}  "
        lines += wrap(clean(f.title), width, first=head, indent=" " * len(strip_ansi(head)))
        if verbose and f.detail:
            lines += wrap(clean(f.detail), width, first=hang, indent=hang)
        if f.fix:
            lines += fix_lines(
                clean(f.fix), width, first=f"{hang}{s('fix:', 'cyan')} ", indent=hang + "     "
            )
        if verbose > 1 and f.sources:
            lines.extend(f"{hang}{s('source:', 'dim')} {clean(src)}" for src in f.sources)
    return [*lines, ""]


def _data_note(report: Report, s: Style, width: int | None) -> list[str]:
    """Say so when this environment holds releases newer than the data, and how to update."""
    stale = report.newer_than_data
    if not stale:
        return []
    when = f" (of {report.data_date})" if report.data_date else ""
    verb, its = ("is", "its") if len(stale) == 1 else ("are", "their")
    text = (
        f"compataudit's compatibility data{when} is older than this environment: "
        f"{', '.join(stale)} {verb} newer than any release it knows, so {its} requirements are "
        "not judged. For newer data upgrade compataudit, or pass --matrices DIR (a copy of "
        "matrices/ with the newer releases added):"
    )
    return [*wrap(text, width, first=s("Data: ", "bold"), indent="  "), "  pip install -U compataudit", ""]


def _summary(report: Report, s: Style, width: int | None) -> list[str]:
    sm = report.summary
    color = "red" if sm.exit_code else "green"
    exit_text = f"exit {sm.exit_code}"
    lines = wrap(f"{summary_counts(report)} · {exit_text}", width, first=s("Summary: ", "bold"), indent="  ")
    lines[-1] = lines[-1][: -len(exit_text)] + s(exit_text, color)
    return lines
