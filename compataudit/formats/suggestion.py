"""A suggestion (`compataudit suggest`) as a table for people."""

from __future__ import annotations

from compataudit.distributions import family
from compataudit.plan.suggest import Suggestion


def render_table(s: Suggestion, *, width: int | None = None) -> str:
    """Plain-text rendering: target, packages, commands (whole), then the reasons and the
    problems wrapped to ``width``."""
    from compataudit.render import table, wrap

    t = s.target
    gpus = f"GPU cc {', '.join(t.gpu_ccs)}" if t.gpu_ccs else "no GPU"
    driver = f"driver {t.driver} (CUDA <= {t.max_cuda})" if t.driver else "no driver"
    lines = [f"Target: Python {t.python}, {t.system} {t.machine}, {driver}, {gpus}", ""]
    if s.packages:
        rows = [
            (
                name,
                version,
                s.variants.get(family(name) or name, ""),
            )
            for name, version in s.packages.items()
        ]
        lines += [*table(rows, header=("package", "version", "build"), max_pad=48), ""]
        lines += ["Install with pip:"] + [f"  {c}" for c in s.commands if c.startswith("pip ")]
        lines += ["or with uv:"] + [f"  {c}" for c in s.commands if c.startswith("uv ")]
        lines.append("")
    lines += ["Why:"] + [line for r in s.reasons for line in wrap(r, width, first="  - ", indent="    ")]
    if s.problems:
        lines += ["", "Not possible here:"]
        lines += [line for p in s.problems for line in wrap(p, width, first="  ! ", indent="    ")]
    return "\n".join(lines)
