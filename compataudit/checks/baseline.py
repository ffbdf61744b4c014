"""``check --baseline FILE``: drift of this node from a golden snapshot or report (FLT001).

A cluster pins one stack; a node that drifted from it (a reinstalled wheel, a CPU
build that slipped in, a driver from another branch, a different GPU model) fails
jobs that work everywhere else. Compared: the audited stack's distributions and
every ``nvidia-*`` wheel (version with its local label, so ``+cu126`` vs ``+cpu`` is a
drift), what each framework was built for, the driver *branch* (the major
version: a patch release of the same branch is not a drift) and the GPU models.
Silent without a baseline, so ``fleet`` and what-if runs are unaffected.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from compataudit.checks import CheckContext
from compataudit.distributions import AUDITED_STACK
from compataudit.model import Environment, Finding
from compataudit.rules import finding

AREA = "fleet"
BASELINE = "baseline"  # the CheckContext option holding the golden Environment


def drift_facts(env: Environment) -> dict[str, str]:
    """The facts a baseline pins, keyed by the component they describe."""
    facts: dict[str, str] = {}
    for pkg in env.packages:
        if pkg.name in AUDITED_STACK or pkg.name.startswith("nvidia-"):
            facts[pkg.name] = pkg.version
    for build in env.builds:
        value = f"ROCm {build.hip}" if build.hip else f"CUDA {build.cuda}" if build.cuda else "CPU"
        facts[f"{build.framework} build"] = value
    if env.nvidia.driver_version:
        facts["nvidia-driver"] = f"branch {env.nvidia.driver_version.split('.', 1)[0]}"
    gpus = Counter(g.name for g in env.nvidia.gpus)
    if gpus:
        facts["gpu"] = ", ".join(f"{n}x {name}" for name, n in sorted(gpus.items()))
    return facts


def check_baseline(ctx: CheckContext) -> Iterator[Finding]:
    golden = ctx.options.get(BASELINE)
    if not isinstance(golden, Environment):
        return
    want, have = drift_facts(golden), drift_facts(ctx.env)
    where = ctx.options.get("baseline_name") or "the baseline"
    for component in sorted(want.keys() | have.keys()):
        before, after = want.get(component), have.get(component)
        if before == after:
            continue
        name = component.removesuffix(" build")
        if before is None:
            title = f"{component} {after} is here but not in the baseline"
        elif after is None:
            title = f"{component} {before} is in the baseline but not here"
        else:
            title = f"{component} drifted from the baseline: {before} -> {after}"
        yield finding(
            "FLT001",
            title,
            f"Baseline {where}: {component} = {before or '(absent)'}; this node: {after or '(absent)'}.",
            components=("gpu",) if name == "gpu" else (name,),
        )


CHECKS = (check_baseline,)
