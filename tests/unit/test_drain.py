"""A stopping worker waits for the CWMP sessions it serves, within the grace period."""

from __future__ import annotations

from acs.adapters.drain import Drain


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_worker_that_was_not_told_to_stop_is_not_drained() -> None:
    drain = Drain(Clock())
    assert not drain.draining and not drain.drained() and drain.remaining() == 0.0


def test_a_worker_without_open_sessions_is_drained_at_once() -> None:
    drain = Drain(Clock())
    drain.served("s1", ended=False, idle_timeout=30)
    drain.served("s1", ended=True, idle_timeout=30)
    drain.begin(grace=30)
    assert drain.draining and drain.drained()


def test_an_open_session_holds_the_drain_until_it_ends() -> None:
    clock = Clock()
    drain = Drain(clock)
    drain.served("s1", ended=False, idle_timeout=30)
    drain.begin(grace=60)
    clock.now += 10
    drain.served("s1", ended=False, idle_timeout=30)
    assert drain.open_sessions() == 1 and not drain.drained()
    drain.served("s1", ended=True, idle_timeout=30)
    assert drain.drained()


def test_a_session_idle_past_its_timeout_no_longer_holds_the_drain() -> None:
    clock = Clock()
    drain = Drain(clock)
    drain.served("s1", ended=False, idle_timeout=5)
    drain.begin(grace=60)
    clock.now += 4
    assert not drain.drained()
    clock.now += 2
    assert drain.open_sessions() == 0 and drain.drained()


def test_the_grace_period_ends_the_wait_and_counts_from_the_first_signal() -> None:
    clock = Clock()
    drain = Drain(clock)
    drain.served("s1", ended=False, idle_timeout=300)
    drain.begin(grace=30)
    clock.now += 20
    drain.begin(grace=30)
    assert drain.remaining() == 10 and not drain.drained()
    clock.now += 10
    assert drain.remaining() == 0 and drain.drained()
