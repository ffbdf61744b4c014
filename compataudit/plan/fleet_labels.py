"""What to call a fleet's groups: by what sets each apart, not by a hash.

The largest group is ``majority``. Every other group is named by its differences from
the majority, most relevant first (driver and GPUs, Python, frameworks and their builds,
runtime packages, the OS): ``torch 2.4.1``, ``driver 535.104.05 +1 more``. A label
shows as few differences as it needs to tell its group from every other one, so two
groups that share their first difference show their second too. When two or more groups
tie for largest there is no majority: each of them is named by its own values of the
components the tied groups disagree on, and the smaller groups by their differences
from the first of them (the one the outliers are compared with).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from compataudit.plan.diff import (
    TIER_FRAMEWORK,
    TIER_HARDWARE,
    TIER_OS,
    TIER_PYTHON,
    Change,
    compare_facts,
    package_tier,
)

MAJORITY = "majority"
# Fingerprint components that are not distribution names, as a reader calls them.
_SHOWN = {"python": "Python", "nvidia-driver": "driver", "gpu": "GPU", "os": "OS"}


def component_tier(component: str) -> int:
    """How relevant a difference in fingerprint ``component`` is (``plan.diff``'s tiers)."""
    if component in ("nvidia-driver", "gpu"):
        return TIER_HARDWARE
    if component == "python":
        return TIER_PYTHON
    if component.endswith(" build"):
        return TIER_FRAMEWORK
    if component == "os":
        return TIER_OS
    return package_tier(component)


def differences(reference: Mapping[str, str], stack: Mapping[str, str]) -> list[Change]:
    """What ``stack`` changes from ``reference``, most relevant first, then by name."""
    return compare_facts(
        {k: (component_tier(k), v) for k, v in reference.items()},
        {k: (component_tier(k), v) for k, v in stack.items()},
    )


def item(component: str, value: str | None) -> str:
    """One difference as a label reads it: ``torch 2.4.1``, ``torch CPU build``, ``no jax``."""
    if value is None:
        return f"no {_SHOWN.get(component, component)}"
    if component in ("gpu", "os"):
        return value  # "8x NVIDIA H100 80GB HBM3 (cc 9.0)", "Linux aarch64" say what they are
    if component.endswith(" build"):
        return f"{component.removesuffix(' build')} {value} build"
    return f"{_SHOWN.get(component, component)} {value}"


def group_labels(groups: Sequence[tuple[Mapping[str, str], int]]) -> list[str]:
    """A label per group, given (stack, node count) per group, largest first.

    Deterministic: the same groups in the same order get the same labels on every run.
    Labels are distinct; two that no prefix of differences tells apart (which distinct
    stacks cannot produce) would keep the ``+N more`` form and be told apart by that.
    """
    if not groups:
        return []
    top = groups[0][1]
    tied = sum(1 for _, size in groups if size == top)
    reference = groups[0][0]
    pairs: list[list[tuple[str, str | None]] | None] = []  # None: the majority
    if tied == 1:
        pairs.append(None)
    else:
        tied_stacks = [stack for stack, _ in groups[:tied]]
        keys = {k for stack in tied_stacks for k in stack}
        split = _by_relevance(k for k in keys if len({stack.get(k) for stack in tied_stacks}) > 1)
        pairs += [[(k, stack.get(k)) for k in split] for stack in tied_stacks]
    pairs += [[(c.component, c.after) for c in differences(reference, stack)] for stack, _ in groups[tied:]]
    labels = _shortest_distinct([None if p is None else [item(*x) for x in _unsaid(p)] for p in pairs])
    if len(set(labels)) < len(labels):  # what the short form left out told two groups apart
        labels = _shortest_distinct([None if p is None else [item(*x) for x in p] for p in pairs])
    return labels


def _unsaid(pairs: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """``pairs`` less a framework's build where its version's local label says it already
    (``torch 2.13.0+cpu`` needs no ``torch CPU build`` beside it)."""
    values = dict(pairs)
    return [
        (k, v)
        for k, v in pairs
        if not (k.endswith(" build") and "+" in (values.get(k.removesuffix(" build")) or ""))
    ]


def _by_relevance(components: Iterable[str]) -> list[str]:
    """``components`` in the order :func:`differences` lists them."""
    names = list(components)
    before = {k: (component_tier(k), "0") for k in names}
    return [c.component for c in compare_facts(before, {k: (t, "1") for k, (t, _) in before.items()})]


def _shortest_distinct(items: Sequence[list[str] | None]) -> list[str]:
    """Each item list as ``a, b +N more``, with as few items shown as keeps labels distinct."""
    shown = [1] * len(items)
    while True:
        labels = [_label(i, n) for i, n in zip(items, shown, strict=True)]
        seen: dict[str, list[int]] = {}
        for index, label in enumerate(labels):
            seen.setdefault(label, []).append(index)
        grown = False
        for indexes in seen.values():
            if len(indexes) < 2:
                continue
            for index in indexes:
                entries = items[index]
                if entries is not None and shown[index] < len(entries):
                    shown[index] += 1
                    grown = True
        if not grown:
            return labels


def _label(entries: list[str] | None, shown: int) -> str:
    if entries is None:
        return MAJORITY
    if not entries:
        return "same stack"  # cannot happen for two distinct groups; never an empty label
    rest = len(entries) - shown
    return ", ".join(entries[:shown]) + (f" +{rest} more" if rest > 0 else "")
