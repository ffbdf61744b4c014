"""Small assertions shared by test modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def only(items: Sequence[T]) -> T:
    """The one item of ``items`` (a finding, a smoke result), failing with the list otherwise."""
    assert len(items) == 1, items
    return items[0]
