"""Decisions on campaign and bulk aggregates: each is its own stream of events, keyed by id."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from acs.domain.campaigns import BulkDefinition, CampaignDefinition
from acs.domain.events import (
    BulkCreated,
    CampaignCompleted,
    CampaignCreated,
    CampaignPaused,
    CampaignResumed,
    DeviceEvent,
)

_CAMPAIGNS = uuid.UUID("5f1d8a40-2c3b-5e7a-9b1e-6a0c4d2e8f31")
_BULK = uuid.UUID("9a7c2e14-4b6d-5f80-8c3a-1e5b7d9f0a24")
RUNNING, PAUSED, COMPLETED = "running", "paused", "completed"


class CampaignNotFoundError(LookupError):
    """No campaign or bulk operation of this id exists."""


class CampaignStateError(ValueError):
    """The command does not apply to the campaign in its state (a completed one)."""


class CampaignState(msgspec.Struct, frozen=True):
    """A campaign folded from its events."""

    campaign_id: str
    definition: CampaignDefinition
    status: str
    reason: str
    version: int


def campaign_aggregate(campaign_id: str) -> uuid.UUID:
    """The event-store id of a campaign."""
    return uuid.uuid5(_CAMPAIGNS, campaign_id)


def bulk_aggregate(bulk_id: str) -> uuid.UUID:
    """The event-store id of a bulk operation."""
    return uuid.uuid5(_BULK, bulk_id)


def fold(history: list[DeviceEvent]) -> CampaignState | None:
    """A campaign's state at the end of its history (None: no such campaign)."""
    state: CampaignState | None = None
    for event in history:
        if isinstance(event, CampaignCreated):
            state = CampaignState(event.campaign_id, event.definition, RUNNING, "", 0)
        if state is None:
            continue
        if isinstance(event, CampaignPaused):
            state = msgspec.structs.replace(state, status=PAUSED, reason=event.reason)
        elif isinstance(event, CampaignResumed):
            state = msgspec.structs.replace(state, status=RUNNING, reason="")
        elif isinstance(event, CampaignCompleted):
            state = msgspec.structs.replace(state, status=COMPLETED, reason="")
        state = msgspec.structs.replace(state, version=event.originator_version)
    return state


class _Head(msgspec.Struct, frozen=True):
    """The common fields of a campaign's next event."""

    campaign_id: str
    version: int
    at: datetime

    def fields(self) -> tuple[uuid.UUID, int, datetime, str]:
        """Aggregate id, next version, time and campaign id."""
        return campaign_aggregate(self.campaign_id), self.version + 1, self.at, self.campaign_id


def create_campaign(
    *, campaign_id: str, definition: CampaignDefinition, actor: str, at: datetime
) -> list[DeviceEvent]:
    """Start a campaign."""
    agg, version, at, cid = _Head(campaign_id, 0, at).fields()
    return [CampaignCreated(originator_id=agg, originator_version=version, timestamp=at,
                            campaign_id=cid, definition=definition, actor=actor)]  # fmt: skip


def _existing(state: CampaignState | None, campaign_id: str) -> CampaignState:
    if state is None:
        raise CampaignNotFoundError(campaign_id)
    if state.status == COMPLETED:
        raise CampaignStateError(f"campaign {campaign_id} is completed")
    return state


def pause_campaign(
    state: CampaignState | None, *, campaign_id: str, reason: str, actor: str, at: datetime
) -> list[DeviceEvent]:
    """Pause a running campaign (a paused one stays as it is)."""
    known = _existing(state, campaign_id)
    if known.status == PAUSED:
        return []
    agg, version, at, cid = _Head(campaign_id, known.version, at).fields()
    return [CampaignPaused(originator_id=agg, originator_version=version, timestamp=at,
                           campaign_id=cid, reason=reason, actor=actor)]  # fmt: skip


def resume_campaign(
    state: CampaignState | None, *, campaign_id: str, actor: str, at: datetime
) -> list[DeviceEvent]:
    """Resume a paused campaign (a running one stays as it is)."""
    known = _existing(state, campaign_id)
    if known.status == RUNNING:
        return []
    agg, version, at, cid = _Head(campaign_id, known.version, at).fields()
    return [CampaignResumed(originator_id=agg, originator_version=version, timestamp=at,
                            campaign_id=cid, actor=actor)]  # fmt: skip


def complete_campaign(
    state: CampaignState | None, *, campaign_id: str, actor: str, at: datetime
) -> list[DeviceEvent]:
    """Mark a campaign completed: no device is left to try."""
    known = _existing(state, campaign_id)
    agg, version, at, cid = _Head(campaign_id, known.version, at).fields()
    return [CampaignCompleted(originator_id=agg, originator_version=version, timestamp=at,
                              campaign_id=cid, actor=actor)]  # fmt: skip


def create_bulk(
    *, bulk_id: str, definition: BulkDefinition, actor: str, at: datetime
) -> list[DeviceEvent]:
    """Record a bulk operation."""
    aggregate = bulk_aggregate(bulk_id)
    return [BulkCreated(originator_id=aggregate, originator_version=1, timestamp=at,
                        bulk_id=bulk_id, definition=definition, actor=actor)]  # fmt: skip
