"""The event store: device events in PostgreSQL through the eventsourcing library's recorders."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeVar, cast
from uuid import UUID

import msgspec
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow

from acs.adapters.database import (
    RECONNECT_TIMEOUT,
    UNAVAILABLE,
    ResilientPool,
    connect_timeout,
    log_failure,
)
from acs.adapters.group_commit import GroupCommitter
from acs.adapters.state_cache import StateCache
from acs.domain.device import Device, project
from acs.domain.events import EVENT_TOPICS, TOPIC_OF, DeviceEvent

log = logging.getLogger(__name__)

EVENTS_TABLE = "device_events"
SNAPSHOTS_TABLE = "device_snapshots"
SNAPSHOT_TOPIC = "Device.v2"
SNAPSHOT_EVERY = 50
"""Events between two snapshots of a device's state. Only the latest snapshot of a device is
kept, so snapshots cost storage per device, not per event, and a load that misses the cache
decodes at most this many events after the snapshot. Most loads hit the worker's cache, so
a snapshot (a write of the whole state, and the removal of the one before) pays off only
every few dozen events."""

_PRUNE_SNAPSHOTS = f"""DELETE FROM {SNAPSHOTS_TABLE}
WHERE originator_id = %s AND originator_version < %s"""


class ConcurrencyError(Exception):
    """Another writer appended to the same device first; reload and decide again."""


class Notification(msgspec.Struct, frozen=True):
    """One event with its position in the notification log."""

    position: int
    event: DeviceEvent


_ENCODER = msgspec.json.Encoder()
_DECODERS = {topic: msgspec.json.Decoder(cls) for topic, cls in EVENT_TOPICS.items()}
_SNAPSHOT_DECODER = msgspec.json.Decoder(Device)


def _head(aggregate: UUID, version: int) -> bytes:
    """The start of an event's JSON: its id and version, which the row's columns also hold."""
    return b'{"originator_id":"%s","originator_version":%d,' % (str(aggregate).encode(), version)


def to_stored(event: DeviceEvent) -> StoredEvent:
    """Serialise an event under its stable topic, without repeating the row's id and version
    in its JSON (events omit fields at their defaults, too)."""
    encoded = _ENCODER.encode(event)
    head = _head(event.originator_id, event.originator_version)
    if not encoded.startswith(head):
        raise ValueError("events must start with originator_id and originator_version")
    return StoredEvent(
        originator_id=event.originator_id,
        originator_version=event.originator_version,
        topic=TOPIC_OF[type(event)],
        state=b"{" + encoded[len(head) :],
    )


def from_stored(topic: str, state: bytes, aggregate: UUID, version: int) -> DeviceEvent:
    """Deserialise a stored event; an unknown topic is a bug, never skipped. Events stored
    with their id and version inside the JSON are read as they are."""
    if not state.startswith(b'{"originator_id"'):
        state = _head(aggregate, version) + state[1:]
    decoded: DeviceEvent = _DECODERS[topic].decode(state)
    return decoded


DB_TIMEOUT = 3.0
"""Seconds a call waits for a connection (and a connection attempt may take) by default."""


def datastore_for(url: str, pool_size: int, timeout: float = DB_TIMEOUT) -> PostgresDatastore:
    """A connection pool for the event store, from a libpq URL: a checkout waits at most
    `timeout` s (then `OperationalError`), connections are checked on checkout."""
    info = conninfo_to_dict(url)
    datastore = PostgresDatastore(
        dbname=str(info.get("dbname") or "postgres"),
        host=str(info.get("host") or "localhost"),
        port=str(info.get("port") or 5432),
        user=str(info.get("user") or "postgres"),
        password=str(info.get("password") or ""),
        pool_size=pool_size,
        max_overflow=pool_size,
        max_waiting=0,
        connect_timeout=timeout,
        lock_timeout=10,
    )
    library = datastore.pool  # the library's, never opened: the same, made resilient
    kwargs = library.kwargs if isinstance(library.kwargs, dict) else {}
    pool = ResilientPool[Connection[DictRow]](
        connection_class=library.connection_class,
        kwargs={**kwargs, "connect_timeout": connect_timeout(timeout)},
        min_size=library.min_size,
        max_size=library.max_size,
        open=False,
        configure=datastore.after_connect_func(),
        timeout=timeout,
        max_waiting=library.max_waiting,
        max_lifetime=library.max_lifetime,
        reconnect_timeout=RECONNECT_TIMEOUT,
        name="acs-events",
    )
    datastore.pool = cast(Any, pool)  # the library only calls psycopg_pool's API on it
    return datastore


F = TypeVar("F", bound=Callable[..., Any])


def _once(method: F) -> F:
    """A recorder method without the library's `@retry` (ten attempts 0.2 s apart on a
    connection error): the pool already checks connections, and a database that is down must
    fail a call within the pool's timeout, not ten times over."""
    return cast(F, getattr(method, "__wrapped__", method))


_APPEND = "SELECT notification_id FROM acs_append_events(%s)"
"""Lock, notify, insert and commit in one statement (migration 0016)."""


class _EventRecorder(PostgresApplicationRecorder):
    """The event table's recorder; each call is tried once."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int]:
        """Append events in one autocommit statement, so in one round trip; their
        positions in the notification log come back once the commit is durable."""
        rows = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(_APPEND, (rows,), prepare=True)
            return [row["notification_id"] for row in curs.fetchall()]

    select_events = _once(PostgresApplicationRecorder.select_events)
    select_notifications = _once(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _once(PostgresApplicationRecorder.max_notification_id)


class _SnapshotRecorder(PostgresAggregateRecorder):
    """The snapshot table's recorder; each call is tried once."""

    insert_events = _once(PostgresAggregateRecorder.insert_events)
    select_events = _once(PostgresAggregateRecorder.select_events)


LOAD_PAGE = 1000
"""Events one load query reads at most (more come page by page). The LIMIT also keeps the
planner on the primary key's index: without it, a device holding a large share of the
table's events gets a sequential scan, whose cost grows with the whole store."""

_SNAPSHOT_CTE = f"""snap AS (
    SELECT originator_version, topic, state FROM {SNAPSHOTS_TABLE}
    WHERE originator_id = %(id)s ORDER BY originator_version DESC LIMIT 1)"""

_FROM_SNAPSHOT = f"""SELECT originator_version, topic, state FROM snap
UNION ALL
SELECT originator_version, topic, state FROM (
    SELECT originator_version, topic, state FROM {EVENTS_TABLE}
    WHERE originator_id = %(id)s
        AND originator_version > COALESCE((SELECT originator_version FROM snap), 0)
    ORDER BY originator_version LIMIT {LOAD_PAGE}) AS after_snapshot"""

_AFTER_VERSION = f"""SELECT originator_version, topic, state FROM (
    SELECT originator_version, topic, state FROM {EVENTS_TABLE}
    WHERE originator_id = %(id)s AND originator_version > %(version)s
    ORDER BY originator_version LIMIT {LOAD_PAGE}) AS after_version"""

_LOAD = f"WITH {_SNAPSHOT_CTE}\n{_FROM_SNAPSHOT}"
"""A device's latest snapshot (first row, if any) and the first page of events after it,
in one query."""

_EVENTS_AFTER = _AFTER_VERSION
"""A page of a device's events after a version (the cached state's)."""

RIDER_TOPIC = "rider"


class Rider(NamedTuple):
    """A statement that travels with a device's load, in the same query (one round trip
    instead of two): `sql` returns one bytea column, `params` are its named parameters
    (none named `id` or `version`, which the load uses)."""

    sql: str
    params: dict[str, Any]


@functools.cache
def _riding(rider: str, cached: bool) -> str:
    """The load query with a rider: the rider's statement runs first, once (a data-modifying
    one too), and its value comes back as a row of its own, topic `rider`."""
    ctes = f"rider AS MATERIALIZED ({rider})" + ("" if cached else f", {_SNAPSHOT_CTE}")
    head = (
        f"SELECT NULL::bigint AS originator_version, '{RIDER_TOPIC}' AS topic,"
        " (SELECT * FROM rider LIMIT 1) AS state"
    )
    return f"WITH {ctes}\n{head}\nUNION ALL\n{_AFTER_VERSION if cached else _FROM_SNAPSHOT}"


_EVENTS_PAGE = f"""SELECT originator_version, notification_id, topic, state FROM {EVENTS_TABLE}
WHERE originator_id = %s AND originator_version > %s ORDER BY originator_version LIMIT %s"""


_BY_AGGREGATE = f"""SELECT originator_id, originator_version, notification_id, topic, state
FROM {EVENTS_TABLE}
WHERE (originator_id, originator_version) > (%s, %s) AND notification_id <= %s
ORDER BY originator_id, originator_version LIMIT %s"""

_HOLDING = f"""SELECT DISTINCT originator_id FROM {EVENTS_TABLE}
WHERE position(%s::bytea IN state) > 0 ORDER BY originator_id"""


def _event(aggregate: UUID, row: dict[str, Any]) -> DeviceEvent:
    return from_stored(row["topic"], row["state"], aggregate, row["originator_version"])


class EventStore:
    """Loads and appends device events; reads the notification log for projections."""

    def __init__(self, datastore: PostgresDatastore, cache: StateCache | None = None) -> None:
        self.datastore = datastore
        self.events = _EventRecorder(datastore, events_table_name=EVENTS_TABLE)
        self.snapshots = _SnapshotRecorder(datastore, events_table_name=SNAPSHOTS_TABLE)
        self.cache = cache if cache is not None else StateCache(0)
        self.committer = GroupCommitter(self.events.insert_events)

    def load(self, aggregate: UUID) -> Device | None:
        """The device's current state in one query: the cached state or latest snapshot,
        brought up to date with the events after it."""
        return self._load(aggregate, None)[0]

    def load_riding(self, aggregate: UUID, rider: Rider) -> tuple[Device | None, bytes | None]:
        """The device's current state, as `load`, and the value of a statement run in the
        same query (None when it returned no row)."""
        return self._load(aggregate, rider)

    def _load(self, aggregate: UUID, rider: Rider | None) -> tuple[Device | None, bytes | None]:
        cached = self.cache.get(aggregate)
        params: dict[str, Any] = {"id": aggregate}
        if cached is not None:
            params["version"] = cached.version
        if rider is None:
            query = _LOAD if cached is None else _EVENTS_AFTER
        else:
            query, params = _riding(rider.sql, cached is not None), {**rider.params, **params}
        with self.datastore.get_connection() as conn, conn.cursor() as cur:
            rows = cur.execute(query, params, prepare=True).fetchall()
            value = _ride_off(rows) if rider is not None else None
            snapshot = rows.pop(0) if rows and rows[0]["topic"] == SNAPSHOT_TOPIC else None
            events = [_event(aggregate, r) for r in rows]
            if len(rows) == LOAD_PAGE:
                events += self._events_after(cur, aggregate, events[-1].originator_version)
        if cached is not None:
            state = project(cached, events)
        else:
            state = self._fold(aggregate, snapshot, events)
        if state is not None:
            self.cache.put(state)
        return state, None if value is None else bytes(value)

    @staticmethod
    def _events_after(cur: Any, aggregate: UUID, version: int) -> list[DeviceEvent]:
        """Every event of the device after `version`, a page at a time."""
        events: list[DeviceEvent] = []
        while True:
            params = {"id": aggregate, "version": version}
            rows = cur.execute(_EVENTS_AFTER, params, prepare=True).fetchall()
            events += [_event(aggregate, r) for r in rows]
            if len(rows) < LOAD_PAGE:
                return events
            version = events[-1].originator_version

    def _fold(self, aggregate: UUID, snapshot: Any, events: list[DeviceEvent]) -> Device | None:
        start: Device | None = None
        if snapshot is not None:
            start = self._decode_snapshot(aggregate, snapshot["state"])
            if start is None:
                return project(None, self.load_events(aggregate))
        return project(start, events)

    @staticmethod
    def _decode_snapshot(aggregate: UUID, state: bytes) -> Device | None:
        try:
            return _SNAPSHOT_DECODER.decode(state)
        except msgspec.DecodeError:
            log.warning("ignoring unreadable snapshot of %s", aggregate)
            return None

    def load_events(self, aggregate: UUID) -> list[DeviceEvent]:
        """Every event of a device, in order."""
        stored = self.events.select_events(aggregate)
        return [from_stored(s.topic, s.state, aggregate, s.originator_version) for s in stored]

    def events_page(self, aggregate: UUID, after: int, limit: int) -> list[Notification]:
        """Up to `limit` events of a device after a version, in order, with their positions."""
        with self.datastore.get_connection() as conn, conn.cursor() as cur:
            rows = cur.execute(_EVENTS_PAGE, (aggregate, after, limit), prepare=True).fetchall()
        return [Notification(r["notification_id"], _event(aggregate, r)) for r in rows]

    def events_by_aggregate(
        self, after: tuple[UUID, int], upto: int, limit: int
    ) -> list[Notification]:
        """Up to `limit` events at log positions up to `upto`, in the order of the primary
        key (aggregate id, then version) after `after`: each aggregate's events together and
        in order, which is all a rebuild needs, read along an index."""
        with self.datastore.get_connection() as conn, conn.cursor() as cur:
            rows = cur.execute(_BY_AGGREGATE, (*after, upto, limit), prepare=True).fetchall()
        return [Notification(r["notification_id"], _event(r["originator_id"], r)) for r in rows]

    def holding(self, marker: bytes) -> list[UUID]:
        """The devices with an event whose stored JSON contains `marker` (a full scan)."""
        with self.datastore.get_connection() as conn, conn.cursor() as cur:
            rows = cur.execute(_HOLDING, (marker,)).fetchall()
        return [UUID(str(r["originator_id"])) for r in rows]

    def append(self, events: Sequence[DeviceEvent], state: Device | None = None) -> list[int]:
        """Append events atomically; `state` (after them) may be snapshotted."""
        try:
            positions = self.committer.submit([to_stored(e) for e in events])
        except IntegrityError as exc:
            self.cache.drop(events[0].originator_id)
            raise ConcurrencyError(str(events[0].originator_id)) from exc
        if state is not None:
            self.cache.put(state)
            if _crosses_snapshot(events):
                self._snapshot(state)
        return list(positions or [])

    def _snapshot(self, device: Device) -> None:
        """Store the device's state and drop its older snapshots. Snapshots are a cache: when
        the database went away just after the events committed, the append still succeeded."""
        try:
            self._store_snapshot(device)
        except UNAVAILABLE as exc:
            log_failure(log, f"snapshot of {device.id} not stored", exc)

    def _store_snapshot(self, device: Device) -> None:
        self.snapshots.insert_events([self._snapshot_of(device)])
        with self.datastore.get_connection() as conn:
            conn.execute(_PRUNE_SNAPSHOTS, (device.id, device.version), prepare=True)

    @staticmethod
    def _snapshot_of(device: Device) -> StoredEvent:
        return StoredEvent(
            originator_id=device.id,
            originator_version=device.version,
            topic=SNAPSHOT_TOPIC,
            state=_ENCODER.encode(device),
        )

    def notifications(self, after: int, limit: int) -> list[Notification]:
        """Events after a position of the notification log, in order."""
        rows = self.events.select_notifications(start=after + 1, limit=limit)
        return [
            Notification(n.id, from_stored(n.topic, n.state, n.originator_id, n.originator_version))
            for n in rows
        ]

    def max_position(self) -> int:
        """The position of the latest event, 0 when there is none."""
        return self.events.max_notification_id() or 0

    def close(self) -> None:
        """Close the connection pool."""
        self.datastore.close()


def _ride_off(rows: list[Any]) -> Any:
    """The rider's value, taken out of the load's rows."""
    at = next(i for i, row in enumerate(rows) if row["topic"] == RIDER_TOPIC)
    return rows.pop(at)["state"]


def _crosses_snapshot(events: Sequence[DeviceEvent]) -> bool:
    first, last = events[0].originator_version, events[-1].originator_version
    return last // SNAPSHOT_EVERY > (first - 1) // SNAPSHOT_EVERY
