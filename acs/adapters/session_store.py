"""Open CWMP sessions in PostgreSQL, so that any worker can continue any session."""

from __future__ import annotations

import threading
from typing import NamedTuple
from uuid import UUID

import msgspec
from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from acs.adapters.database import UNAVAILABLE
from acs.adapters.event_store import Rider
from acs.domain.session import Session

_CLAIM = """
INSERT INTO cwmp_sessions (device_id, session_id, state, expires_at)
VALUES (%(device)s, %(session)s, %(state)s, now() + make_interval(secs => %(timeout)s))
ON CONFLICT (device_id) DO UPDATE
    SET session_id = EXCLUDED.session_id, state = EXCLUDED.state, expires_at = EXCLUDED.expires_at
    WHERE cwmp_sessions.expires_at < now()
RETURNING convert_to(session_id, 'UTF8')"""
"""Returns a row (bytea, so that it can ride a device's load) only when the claim holds."""

_GET = "SELECT state FROM cwmp_sessions WHERE session_id = %(session)s AND expires_at >= now()"

_SAVE = """
UPDATE cwmp_sessions SET state = %(state)s, expires_at = now() + make_interval(secs => %(timeout)s)
WHERE session_id = %(session)s"""

_END = "DELETE FROM cwmp_sessions WHERE session_id = %s"

_END_RETURNING = """DELETE FROM cwmp_sessions
WHERE session_id = %(session)s AND expires_at >= now() RETURNING state"""

_RESTORE = """
INSERT INTO cwmp_sessions (device_id, session_id, state, expires_at)
VALUES (%(device)s, %(session)s, %(state)s, now() + make_interval(secs => %(timeout)s))
ON CONFLICT DO NOTHING"""

_END_UNLESS_NEWER = """
WITH newer AS (SELECT EXISTS (SELECT 1 FROM device_events
                              WHERE originator_id = %(id)s AND originator_version > %(version)s)
               AS found),
ended AS (DELETE FROM cwmp_sessions
          WHERE session_id = %(session)s AND NOT (SELECT found FROM newer))
SELECT found FROM newer"""
"""Ends the session unless the device has events after the version its last decision saw."""

_END_ALL = "DELETE FROM cwmp_sessions WHERE session_id = ANY(%s)"

_OPEN = "SELECT 1 FROM cwmp_sessions WHERE device_id = %s AND expires_at >= now()"

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Session)

NOTED_SESSIONS = 10_000
"""Sessions whose device and state a worker remembers (the oldest forgotten first), so that
it can load the device in the same query that reads the session, or ends it."""


class Noted(NamedTuple):
    """A session as this worker last wrote it."""

    device_id: str
    state: bytes


class SessionStore:
    """One row per device with an open session; an idle session expires after `timeout` s."""

    def __init__(self, pool: ConnectionPool, timeout: float) -> None:
        self.pool = pool
        self.timeout = timeout
        self._abandoned: set[str] = set()
        self._noted: dict[str, Noted] = {}
        self._lock = threading.Lock()

    def claim(self, device_id: str, session: Session) -> bool:
        """Open a session for a device; False while another one is open and not expired."""
        rider = self.claim_rider(device_id, session)
        with self.pool.connection() as conn:
            row = conn.execute(rider.sql, rider.params).fetchone()
        return self.claimed(rider, row[0] if row else None)

    def claim_rider(self, device_id: str, session: Session) -> Rider:
        """The statement of `claim`, to run with a load of the device (`claimed` reads its
        value). Sessions abandoned during an outage are ended first."""
        if self._abandoned:
            with self.pool.connection() as conn:
                self._end_abandoned(conn)
        params = {
            "device": device_id,
            "session": session.id,
            "timeout": self._timeout(session),
            "state": _ENCODER.encode(session),
        }
        return Rider(_CLAIM, params)

    def claimed(self, claim: Rider, value: bytes | None) -> bool:
        """Whether the claim's statement (`claim_rider`), which returned `value`, opened the
        session."""
        if value is None:
            return False
        params = claim.params
        self._note(params["session"], Noted(params["device"], params["state"]))
        return True

    def get(self, session_id: str) -> Session | None:
        """The open session with this id, or None if it ended or expired."""
        rider = self.get_rider(session_id)
        with self.pool.connection() as conn:
            row = conn.execute(rider.sql, rider.params).fetchone()
        return self.decoded(row[0] if row else None)

    def get_rider(self, session_id: str) -> Rider:
        """The statement of `get`, to run with a load of its device (`decoded` reads it)."""
        return Rider(_GET, {"session": session_id})

    @staticmethod
    def decoded(value: bytes | None) -> Session | None:
        """The session the statement of `get` returned, if any."""
        return _DECODER.decode(value) if value is not None else None

    def device_of(self, session_id: str) -> str | None:
        """The device of a session this worker claimed or saved, if it remembers it."""
        noted = self._noted.get(session_id)
        return noted.device_id if noted else None

    def noted(self, session_id: str) -> Noted | None:
        """The session as this worker last wrote it, if it remembers it."""
        return self._noted.get(session_id)

    def end_rider(self, session_id: str) -> Rider:
        """A statement that ends the session if it is open, returning its state: to ride
        the device's load when the session has nothing left to do."""
        return Rider(_END_RETURNING, {"session": session_id})

    def restore(self, device_id: str, session_id: str, state: bytes) -> None:
        """Put back a session row `end_rider` deleted (unless the device opened another
        session since)."""
        session = _DECODER.decode(state)
        params = {"device": device_id, "session": session_id, "state": state,
                  "timeout": self._timeout(session)}  # fmt: skip
        with self.pool.connection() as conn:
            conn.execute(_RESTORE, params)
        self._note(session_id, Noted(device_id, state))

    def forget(self, session_id: str) -> None:
        """Forget a session that ended."""
        with self._lock:
            self._noted.pop(session_id, None)

    def save(self, session: Session) -> None:
        """Store the session's new state and push its expiry back."""
        state = _ENCODER.encode(session)
        params = {"session": session.id, "timeout": self._timeout(session), "state": state}
        with self.pool.connection() as conn:
            conn.execute(_SAVE, params)
        self._note(session.id, Noted(session.device_id, state))

    def _note(self, session_id: str, noted: Noted) -> None:
        with self._lock:
            self._noted[session_id] = noted
            while len(self._noted) > NOTED_SESSIONS:
                del self._noted[next(iter(self._noted))]

    def _timeout(self, session: Session) -> float:
        """The CPE's own SessionTimeout when it sent one (A.4.1), else the configured one."""
        return float(session.timeout) if session.timeout else self.timeout

    def is_open(self, device_id: str) -> bool:
        """Whether the device has a session open now."""
        with self.pool.connection() as conn:
            return conn.execute(_OPEN, (device_id,)).fetchone() is not None

    def end(self, session_id: str) -> None:
        """Close a session: the device may open the next one."""
        self.forget(session_id)
        with self.pool.connection() as conn:
            conn.execute(_END, (session_id,))

    def end_unless_newer(self, session_id: str, aggregate: UUID, version: int) -> bool:
        """Close a session whose last decision saw the device at `version`, unless events
        came after it (an operator's task queued meanwhile, whose connection request was
        skipped because this session was open): False then, and the session stays open."""
        params = {"session": session_id, "id": aggregate, "version": version}
        with self.pool.connection() as conn:
            row = conn.execute(_END_UNLESS_NEWER, params).fetchone()
        if row is not None and row[0]:
            return False
        self.forget(session_id)
        return True

    def abandon(self, session_id: str) -> None:
        """Close a session whose Inform could not be recorded. While the database is
        unavailable, it is closed by this worker's first claim once the database is back,
        so that the device's next Inform is not refused until the claim expires."""
        try:
            self.end(session_id)
        except UNAVAILABLE:
            with self._lock:
                self._abandoned.add(session_id)

    def _end_abandoned(self, conn: Connection[TupleRow]) -> None:
        with self._lock:
            ended, self._abandoned = self._abandoned, set()
        try:
            conn.execute(_END_ALL, (list(ended),))
        except BaseException:
            with self._lock:
                self._abandoned |= ended
            raise
