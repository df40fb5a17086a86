"""The past of parameters: every value one had (`parameter_history`), and all of a device's
parameters as `GET /parameters` showed them after any prefix of its events.

`KnownParameters` replays events through the `parameters` projection's own fold, so deleted
parameters stay deleted and values from before a `0 BOOTSTRAP` stay `stale`, exactly as in
the read model.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import msgspec
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool

from acs.adapters.event_store import Notification
from acs.domain.provisioning import PRESET_ACTOR
from acs.projections import parameters
from acs.projections.queries import Parameter


class ParameterChange(msgspec.Struct, frozen=True):
    """A value a parameter took: when, at which log position, and what caused it (`inform`,
    `task` or `preset`; `actor` is the task's operator or preset, `cpe` for an Inform)."""

    name: str
    value: str
    type: str
    changed_at: datetime
    position: int
    cause: str
    task_id: str | None
    actor: str | None


_MATCH = "(h.name = %(name)s OR (%(subtree)s AND starts_with(h.name, %(name)s)))"

_CHANGES = f"""
WITH page AS (
    SELECT DISTINCT h.event_position FROM parameter_history h
    WHERE h.device_id = %(device)s AND {_MATCH} AND h.event_position > %(after)s
    ORDER BY h.event_position LIMIT %(limit)s)
SELECT h.name, h.value, h.type, h.changed_at, h.event_position AS position,
    CASE WHEN h.cause = 'task' AND starts_with(t.actor, %(preset)s) THEN 'preset'
        ELSE h.cause END AS cause,
    h.task_id, CASE WHEN h.cause = 'inform' THEN 'cpe' ELSE t.actor END AS actor
FROM parameter_history h JOIN page USING (event_position) LEFT JOIN tasks t ON t.id = h.task_id
WHERE h.device_id = %(device)s AND {_MATCH}
ORDER BY h.event_position, h.name"""
"""The changes of a page of events (`limit` log positions after `after`), oldest first; a
task a preset queued (its actor `preset:<name>`) is the cause `preset`."""


def is_subtree(name: str) -> bool:
    """Whether a name is a partial path (`X.Y.`, or `""` for the whole tree)."""
    return name == "" or name.endswith(".")


def parameter_changes(
    pool: ConnectionPool, device_id: str, name: str, after: int, limit: int
) -> tuple[list[ParameterChange], int | None]:
    """The values a parameter (or a subtree) took after a log position, oldest first, the
    changes of at most `limit` events; and the position to continue after, if more remain."""
    query = {
        "device": device_id,
        "name": name,
        "subtree": is_subtree(name),
        "after": after,
        "limit": limit + 1,
        "preset": PRESET_ACTOR,
    }
    with pool.connection() as conn:
        cur = conn.cursor(row_factory=class_row(ParameterChange))
        rows = cur.execute(_CHANGES, query).fetchall()
    positions = sorted({r.position for r in rows})
    if len(positions) <= limit:
        return rows, None
    last = positions[limit - 1]
    return [r for r in rows if r.position <= last], last


class KnownParameters:
    """One device's parameters, folded from its events by the `parameters` projection."""

    def __init__(self) -> None:
        self._changes = parameters.ParameterChanges()

    def apply(self, notifications: Iterable[Notification]) -> None:
        """Fold the next events of the device, in order."""
        for n in notifications:
            parameters.fold(n.event, self._changes, n.position)
        self._changes.history.clear()
        self._changes.prunes.clear()
        self._changes.stale.clear()

    def rows(self) -> list[Parameter]:
        """The parameters as `GET /parameters` shows them, by name."""
        values, attributes = self._changes.values, self._changes.attributes
        keys = sorted(values, key=lambda key: key[1])
        return [_row(key[1], values[key], attributes.get(key)) for key in keys]


def _row(name: str, value: parameters.Value, attributes: parameters.Attributes | None) -> Parameter:
    return Parameter(
        name=name,
        value=value.value,
        type=value.type,
        writable=value.writable,
        updated_at=value.updated_at,
        notification=attributes.notification if attributes else None,
        access_list=attributes.access_list if attributes else None,
        stale=value.stale,
    )
