"""MAT001 for installed releases newer than the data: keras, numpy, cuDNN, nvidia-* wheels ...

The torch family, TensorFlow and jax report their unknown releases themselves (their areas
know which rows are missing); every other audited distribution whose installed release is
newer than the newest one the data knows (the harvest, ``newest.toml``) gets one MAT001 here.
"""

from __future__ import annotations

from collections.abc import Iterator

from compataudit.checks import CheckContext, CheckFn
from compataudit.compat.staleness import data_facts, newer_than_data
from compataudit.distributions import TENSORFLOW, TORCH_FAMILY
from compataudit.model import Finding
from compataudit.rules import finding

# These areas already say "not in the compatibility data" for their releases.
OWN_MAT001 = frozenset((*TORCH_FAMILY, *TENSORFLOW, "jax"))
UPDATE_FIX = "Upgrade compataudit (pip install -U compataudit), or pass --matrices DIR with newer data"


def update_fix() -> str:
    """:data:`UPDATE_FIX` in the words of how compataudit itself was installed (pipx, uv tool, ...)."""
    from compataudit.probes.installer import self_upgrade_command

    return f"Upgrade compataudit ({self_upgrade_command()}), or pass --matrices DIR with newer data"


def check_newer_than_data(ctx: CheckContext) -> Iterator[Finding]:
    """MAT001: an installed release newer than every release of its family the data knows."""
    date = data_facts(ctx.matrices).date
    for stale in newer_than_data(ctx.env, ctx.matrices):
        if stale.name in OWN_MAT001:
            continue
        yield finding(
            "MAT001",
            f"{stale.name} {stale.version} is newer than compataudit's data",
            f"The newest {stale.name} the data knows is {stale.newest}"
            + (f" (data of {date})" if date else "")
            + f"; what {stale.name} {stale.version} requires and supports is not judged.",
            components=(stale.name,),
            fix=update_fix(),
            sources=(f"https://pypi.org/project/{stale.name}/",),
        )


CHECKS: tuple[CheckFn, ...] = (check_newer_than_data,)
