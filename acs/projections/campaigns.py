"""The `campaigns` and `bulk_jobs` read models: each campaign's definition and state, and
each bulk operation as it was asked for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import psycopg
from psycopg.types.json import Jsonb

from acs.domain.campaign_commands import COMPLETED, PAUSED, RUNNING
from acs.domain.campaigns import BulkDefinition
from acs.domain.events import (
    BulkCreated,
    CampaignCompleted,
    CampaignCreated,
    CampaignPaused,
    CampaignResumed,
    DeviceEvent,
)
from acs.domain.tasks import task_type


class CampaignChange(msgspec.Struct):
    """A campaign's state at the end of a batch; `created` when the batch created it."""

    id: str
    state: str
    reason: str
    updated_at: datetime
    updated_by: str
    version: int
    created: CampaignCreated | None = None


class CampaignChanges(msgspec.Struct):
    """The batch's campaign changes and new bulk operations."""

    campaigns: dict[str, CampaignChange] = msgspec.field(default_factory=dict)
    bulk: list[BulkCreated] = msgspec.field(default_factory=list)


_STATES: dict[type[DeviceEvent], str] = {
    CampaignCreated: RUNNING,
    CampaignPaused: PAUSED,
    CampaignResumed: RUNNING,
    CampaignCompleted: COMPLETED,
}


def fold(changes: CampaignChanges, event: DeviceEvent) -> None:
    """Fold one event into the batch's changes (others are not about campaigns)."""
    if isinstance(event, BulkCreated):
        changes.bulk.append(event)
        return
    state = _STATES.get(type(event))
    if state is None:
        return
    assert isinstance(event, CampaignCreated | CampaignPaused | CampaignResumed | CampaignCompleted)
    known = changes.campaigns.get(event.campaign_id)
    created = event if isinstance(event, CampaignCreated) else known.created if known else None
    reason = event.reason if isinstance(event, CampaignPaused) else ""
    changes.campaigns[event.campaign_id] = CampaignChange(
        event.campaign_id, state, reason, event.timestamp, event.actor, event.originator_version,
        created,
    )  # fmt: skip


_INSERT = """
INSERT INTO campaigns (id, file_id, definition, state, reason, actor, created_at, updated_at,
                       updated_by, version)
SELECT * FROM unnest(%s::text[], %s::text[], %s::jsonb[], %s::text[], %s::text[], %s::text[],
                     %s::timestamptz[], %s::timestamptz[], %s::text[], %s::bigint[])
ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason,
    updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by,
    version = EXCLUDED.version"""
_UPDATE = """
UPDATE campaigns c SET state = u.state, reason = u.reason, updated_at = u.updated_at,
    updated_by = u.updated_by, version = u.version
FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::text[], %s::bigint[])
    AS u (id, state, reason, updated_at, updated_by, version)
WHERE c.id = u.id"""
_BULK = """
INSERT INTO bulk_jobs (id, task_type, definition, matched, rate, actor, created_at)
SELECT * FROM unnest(%s::text[], %s::text[], %s::jsonb[], %s::integer[],
                     %s::double precision[], %s::text[], %s::timestamptz[])
ON CONFLICT (id) DO NOTHING"""


def flush(cur: psycopg.Cursor[Any], changes: CampaignChanges) -> None:
    """Write the batch's campaign changes and bulk operations."""
    created = [c for c in changes.campaigns.values() if c.created is not None]
    updated = [c for c in changes.campaigns.values() if c.created is None]
    if created:
        cur.execute(_INSERT, _columns([_created_row(c) for c in created]))
    if updated:
        rows = [(c.id, c.state, c.reason, c.updated_at, c.updated_by, c.version) for c in updated]
        cur.execute(_UPDATE, _columns(rows))
    if changes.bulk:
        cur.execute(_BULK, _columns([_bulk_row(b) for b in changes.bulk]))


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def _created_row(change: CampaignChange) -> tuple[Any, ...]:
    event = change.created
    assert event is not None
    definition = Jsonb(msgspec.to_builtins(event.definition))
    created = (event.definition.file_id, definition, change.state, change.reason, event.actor)
    return (change.id, *created, event.timestamp, change.updated_at, change.updated_by,
            change.version)  # fmt: skip


def _bulk_row(event: BulkCreated) -> tuple[Any, ...]:
    definition: BulkDefinition = event.definition
    shown = Jsonb(msgspec.to_builtins(definition))
    return (event.bulk_id, task_type(definition.task), shown, len(definition.devices),
            definition.rate, event.actor, event.timestamp)  # fmt: skip
