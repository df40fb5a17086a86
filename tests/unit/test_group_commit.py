"""Group commit: concurrent appends share transactions, and a conflict fails only its writer."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from acs.adapters.group_commit import GroupCommitter


class FakeLog:
    """A notification log with the event store's rules: unique (id, version), ids in order."""

    def __init__(self, delay: float = 0.0) -> None:
        self.rows: list[StoredEvent] = []
        self.transactions: list[int] = []
        self.delay = delay
        self._lock = threading.Lock()

    def insert(self, rows: Sequence[StoredEvent]) -> list[int]:
        time.sleep(self.delay)
        with self._lock:
            taken = {(r.originator_id, r.originator_version) for r in self.rows}
            keys = [(r.originator_id, r.originator_version) for r in rows]
            if len(set(keys)) < len(keys) or taken & set(keys):
                raise IntegrityError("duplicate version")
            start = len(self.rows)
            self.rows += rows
            self.transactions.append(len(rows))
            return list(range(start + 1, start + 1 + len(rows)))


def row(aggregate: object, version: int) -> StoredEvent:
    return StoredEvent(originator_id=aggregate, originator_version=version, topic="T.v1",
                       state=b"{}")  # fmt: skip


def test_concurrent_appends_share_transactions_and_each_gets_its_own_positions() -> None:
    log = FakeLog(delay=0.01)
    committer = GroupCommitter(log.insert)
    results: dict[int, list[int]] = {}

    def append(n: int) -> None:
        results[n] = committer.submit([row(uuid4(), 1), row(uuid4(), 2)])

    threads = [threading.Thread(target=append, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(log.rows) == 40
    assert len(log.transactions) < 20, "some appends were committed together"
    positions = sorted(p for r in results.values() for p in r)
    assert positions == list(range(1, 41))
    for n, mine in results.items():
        assert log.rows[mine[0] - 1].originator_version == 1, n


def test_a_conflicting_append_fails_alone_and_the_others_land() -> None:
    log = FakeLog(delay=0.02)
    committer = GroupCommitter(log.insert)
    contested = uuid4()
    committer.submit([row(contested, 1)])
    outcomes: dict[str, BaseException | list[int]] = {}

    def append(name: str, rows: list[StoredEvent]) -> None:
        try:
            outcomes[name] = committer.submit(rows)
        except IntegrityError as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=append, args=(f"ok{n}", [row(uuid4(), 1)]))
               for n in range(5)]  # fmt: skip
    threads.append(threading.Thread(target=append, args=("stale", [row(contested, 1)])))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(outcomes["stale"], IntegrityError)
    assert all(isinstance(outcomes[f"ok{n}"], list) for n in range(5))
    assert len(log.rows) == 6


def test_a_batch_never_exceeds_the_row_limit() -> None:
    log = FakeLog(delay=0.01)
    committer = GroupCommitter(log.insert, max_rows=10)
    threads = [threading.Thread(target=committer.submit, args=([row(uuid4(), 1)] * 1,))
               for _ in range(50)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert max(log.transactions) <= 10
    assert sum(log.transactions) == 50


def test_a_database_error_reaches_every_caller_of_the_batch() -> None:
    def broken(rows: Sequence[StoredEvent]) -> list[int]:
        raise OSError("database down")

    with pytest.raises(OSError, match="database down"):
        GroupCommitter(broken).submit([row(uuid4(), 1)])


def test_while_the_database_is_unavailable_every_waiting_append_fails_at_once() -> None:
    calls: list[int] = []
    entered: list[int] = []

    def down(rows: Sequence[StoredEvent]) -> list[int]:
        calls.append(len(rows))
        deadline = time.monotonic() + 5
        while len(entered) < 10 and time.monotonic() < deadline:  # all of them waiting
            time.sleep(0.01)
        time.sleep(0.2)  # a pool's timeout, shortened
        raise OperationalError("couldn't get a connection after 0.20 sec")

    committer = GroupCommitter(down)
    failures: list[BaseException] = []

    def append() -> None:
        entered.append(1)
        try:
            committer.submit([row(uuid4(), 1)])
        except OperationalError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=append) for _ in range(10)]
    for t in threads:
        t.start()
    started = time.monotonic()
    for t in threads:
        t.join(timeout=5)
    assert len(failures) == 10
    assert len(calls) == 1, "the appends waiting behind the failed one did not try again"
    assert time.monotonic() - started < 1.0
