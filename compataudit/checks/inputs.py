"""What ``-r`` files gave the audit: a file with nothing to audit is said, not passed as clean."""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext, CheckFn
from compataudit.distributions import AUDITED_STACK
from compataudit.model import Finding
from compataudit.rules import finding

AREA = "inputs"
_SHOWN = 8


def check_nothing_auditable(ctx: CheckContext) -> Iterator[Finding]:
    """INP001: the -r files name no distribution of the audited stack."""
    stack = ctx.env.stack
    if stack is None:
        return
    if any((p.pinned or p.requested) and p.name in AUDITED_STACK for p in ctx.env.packages):
        return
    files = ", ".join(stack.files)
    skipped = list(stack.skipped)
    if skipped:
        more = f"; and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else ""
        shown = "; ".join(skipped[:_SHOWN]) + more
        why = f"Skipped: {shown}."
    else:
        why = "The files hold no requirement compataudit could read (see the notes)."
    yield finding(
        "INP001",
        f"{files}: nothing compataudit can audit",
        "No requirement names a framework of the audited stack (torch, TensorFlow, Keras, JAX and "
        f"what they stand on) at a version compataudit can resolve, so no verdict is given. {why}",
        components=[],
    )


CHECKS: tuple[CheckFn, ...] = (check_nothing_auditable,)
