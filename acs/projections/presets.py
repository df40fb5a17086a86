"""The `presets` read model: the latest definition of every preset (or its deletion)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from acs.domain.events import DeviceEvent, PresetDeleted, PresetSaved


class PresetChange(msgspec.Struct):
    """A preset's state at the end of a batch."""

    name: str
    definition: dict[str, Any]
    weight: int
    version: int
    updated_at: datetime
    actor: str
    deleted: bool


def fold(changes: dict[str, PresetChange], event: DeviceEvent) -> None:
    """Fold one event into the batch's preset changes (others are not about presets)."""
    if isinstance(event, PresetSaved):
        definition = msgspec.to_builtins(event.definition)
        changes[event.name] = PresetChange(event.name, definition, event.definition.weight,
                                           event.originator_version, event.timestamp,
                                           event.actor, deleted=False)  # fmt: skip
    elif isinstance(event, PresetDeleted):
        known = changes.get(event.name)
        changes[event.name] = PresetChange(event.name, known.definition if known else {}, 0,
                                           event.originator_version, event.timestamp,
                                           event.actor, deleted=True)  # fmt: skip


_UPSERT = """
INSERT INTO presets (name, definition, weight, version, updated_at, actor, deleted)
SELECT * FROM unnest(%s::text[], %s::jsonb[], %s::integer[], %s::bigint[], %s::timestamptz[],
                     %s::text[], %s::boolean[])
ON CONFLICT (name) DO UPDATE SET
    definition = CASE WHEN EXCLUDED.deleted THEN presets.definition ELSE EXCLUDED.definition END,
    weight = EXCLUDED.weight, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
    actor = EXCLUDED.actor, deleted = EXCLUDED.deleted"""


def flush(cur: psycopg.Cursor[Any], changes: dict[str, PresetChange]) -> None:
    """Write the batch's preset changes."""
    if not changes:
        return
    rows = [(c.name, Jsonb(c.definition), c.weight, c.version, c.updated_at, c.actor, c.deleted)
            for c in changes.values()]  # fmt: skip
    cur.execute(_UPSERT, [list(column) for column in zip(*rows, strict=True)])
