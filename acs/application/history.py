"""A device's history for auditors: its events, its parameters at a past moment, a timeline.

A moment's state is "as the ACS knew it then": the device's events in version order up to
the first one stamped after that moment, folded as the read model folds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import msgspec

from acs.adapters.event_store import EventStore, Notification
from acs.domain.device import DeviceNotFoundError
from acs.domain.device_id import aggregate_id
from acs.domain.events import TOPIC_OF, DeviceEvent
from acs.domain.timeline import actor_of, event_data, timeline
from acs.projections.history import KnownParameters
from acs.projections.queries import Parameter

REPLAY_PAGE = 1000
"""Events read at a time when replaying a device."""


class EventRecord(msgspec.Struct, frozen=True):
    """One event of a device as auditors see it; `data` holds its own fields."""

    version: int
    position: int
    type: str
    topic: str
    time: datetime
    actor: str
    data: dict[str, Any]


def record(notification: Notification) -> EventRecord:
    """An event with its log position, as auditors see it (secrets stay hidden)."""
    event = notification.event
    return EventRecord(
        version=event.originator_version,
        position=notification.position,
        type=type(event).__name__,
        topic=TOPIC_OF[type(event)],
        time=event.timestamp,
        actor=actor_of(event),
        data=event_data(event),
    )


class History:
    """Reads a device's past from the event store."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def events(
        self, device_id: str, after: int, limit: int
    ) -> tuple[list[EventRecord], int | None]:
        """Up to `limit` events after a version, and the version to continue after, if any."""
        page = self.store.events_page(aggregate_id(device_id), after, limit + 1)
        if not page:
            self._require(device_id)
        records = [record(n) for n in page[:limit]]
        return records, (records[-1].version if len(page) > limit else None)

    def _require(self, device_id: str) -> None:
        if not self.store.events_page(aggregate_id(device_id), 0, 1):
            raise DeviceNotFoundError(device_id)

    def replay(self, device_id: str, until: datetime | None = None) -> Iterator[Notification]:
        """The device's events in order, up to the first one stamped after `until`."""
        aggregate, after = aggregate_id(device_id), 0
        while page := self.store.events_page(aggregate, after, REPLAY_PAGE):
            for n in page:
                if until is not None and n.event.timestamp > until:
                    return
                yield n
            after = page[-1].event.originator_version

    def parameters_at(self, device_id: str, at: datetime) -> list[Parameter]:
        """The parameters as `GET /parameters` showed them at a moment (none before the
        device's first Inform)."""
        known = KnownParameters()
        batch: list[Notification] = []
        for n in self.replay(device_id, at):
            batch.append(n)
            if len(batch) == REPLAY_PAGE:
                known.apply(batch)
                batch.clear()
        known.apply(batch)
        return known.rows()

    def report(self, device_id: str, until: datetime | None = None) -> Iterator[str]:
        """The timeline of the device's events, then its parameters at the end."""
        self._require(device_id)
        known = KnownParameters()
        yield from timeline(self._folded(known, device_id, until))
        yield from _parameter_lines(known.rows(), until)

    def _folded(
        self, known: KnownParameters, device_id: str, until: datetime | None
    ) -> Iterator[DeviceEvent]:
        for n in self.replay(device_id, until):
            known.apply([n])
            yield n.event


def _parameter_lines(rows: list[Parameter], until: datetime | None) -> Iterator[str]:
    moment = until.isoformat() if until is not None else "the end"
    yield ""
    yield f"parameters at {moment} ({len(rows)}):"
    for p in rows:
        yield f"  {p.name} = {p.value!r} ({p.type}){' stale' if p.stale else ''}"
