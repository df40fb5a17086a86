"""Group commit: concurrent appends share one transaction (one table lock, one WAL flush).

The event store locks its table for every insert so that the notification log stays
gap-free in commit order; appending each session's events alone serialises every session on
that lock and on a WAL flush. Here, whichever thread finds no commit in progress becomes
the leader and commits every request waiting at that moment in one transaction; each caller
still returns only after its own events are committed. A batch that fails on a version
conflict is retried request by request, so one stale writer never fails the others. When
the database is unavailable, every request waiting at that moment fails with the same error
at once, rather than each waiting its own turn for the pool's timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from eventsourcing.persistence import IntegrityError, StoredEvent

from acs.adapters.database import unavailable

Insert = Callable[[Sequence[StoredEvent]], Sequence[int] | None]

MAX_BATCH_ROWS = 500


class _Request:
    """One caller's events, and what became of them."""

    def __init__(self, rows: Sequence[StoredEvent]) -> None:
        self.rows = rows
        self.done = False
        self.positions: list[int] = []
        self.error: BaseException | None = None

    def finish(
        self, positions: Sequence[int] | None = None, error: BaseException | None = None
    ) -> None:
        self.positions, self.error, self.done = list(positions or []), error, True

    def result(self) -> list[int]:
        if self.error is not None:
            raise self.error
        return self.positions


class GroupCommitter:
    """Commits concurrent appends together; `submit` blocks until its rows are durable."""

    def __init__(self, insert: Insert, max_rows: int = MAX_BATCH_ROWS) -> None:
        self._insert = insert
        self._max_rows = max_rows
        self._pending: list[_Request] = []
        self._committing = False
        self._cond = threading.Condition()
        self.batches = 0
        self.requests = 0

    def submit(self, rows: Sequence[StoredEvent]) -> list[int]:
        """Insert rows atomically (with whatever else is waiting); returns their positions."""
        request = _Request(rows)
        with self._cond:
            self._pending.append(request)
            while not request.done:
                if not self._committing:
                    self._committing = True
                    batch = self._take()
                    break
                self._cond.wait()
            else:
                return request.result()
        try:
            self._commit(batch)
        finally:
            with self._cond:
                self._committing = False
                self._fail_waiting(batch)
                self._cond.notify_all()
        return request.result()

    def _fail_waiting(self, batch: list[_Request]) -> None:
        """After a batch the database could not take, fail the requests waiting behind it."""
        error = next((r.error for r in batch if unavailable(r.error)), None)
        if error is None:
            return
        for waiting in self._pending:
            waiting.finish(error=error)
        self._pending.clear()

    def _take(self) -> list[_Request]:
        """The waiting requests, oldest first, up to the row limit (at least one)."""
        batch: list[_Request] = []
        rows = 0
        while self._pending and (not batch or rows + len(self._pending[0].rows) <= self._max_rows):
            request = self._pending.pop(0)
            batch.append(request)
            rows += len(request.rows)
        return batch

    def _commit(self, batch: list[_Request]) -> None:
        self.batches += 1
        self.requests += len(batch)
        if len(batch) == 1:
            self._alone(batch[0])
            return
        try:
            positions = list(self._insert([row for r in batch for row in r.rows]) or [])
        except IntegrityError:
            for request in batch:
                self._alone(request)
            return
        except BaseException as exc:
            for request in batch:
                request.finish(error=exc)
            raise
        for request in batch:
            request.finish(positions[: len(request.rows)])
            positions = positions[len(request.rows) :]

    def _alone(self, request: _Request) -> None:
        try:
            request.finish(self._insert(request.rows))
        except BaseException as exc:  # handed to the caller, raised in its thread
            request.finish(error=exc)
