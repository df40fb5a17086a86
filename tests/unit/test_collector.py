"""The collector of a settled process: start-up objects frozen, cycles still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from acs.adapters.collector import YOUNG_THRESHOLD, settle


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_settling_freezes_what_exists_and_collects_the_young_less_often(restored: None) -> None:
    kept = [Node() for _ in range(100)]
    settle()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD


def test_a_cycle_made_after_settling_is_collected_without_being_asked(restored: None) -> None:
    settle()
    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    del first, second
    allocated = [Node() for _ in range(2 * YOUNG_THRESHOLD)]
    assert gone() is None, "the young generation was never collected"
    assert len(allocated) == 2 * YOUNG_THRESHOLD
