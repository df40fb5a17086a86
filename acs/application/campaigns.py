"""Operator commands on campaigns and bulk operations, each an event of its own stream."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from acs.adapters.event_store import ConcurrencyError, EventStore
from acs.adapters.file_catalog import FileCatalog
from acs.application.devices import now
from acs.application.downloads import with_file
from acs.domain import campaign_commands as decide
from acs.domain.campaign_commands import CampaignState, campaign_aggregate
from acs.domain.campaigns import (
    MAX_DEVICES,
    BulkDefinition,
    BulkRequest,
    CampaignError,
    CampaignRequest,
    check_rate,
    check_selection,
    define_campaign,
)
from acs.domain.events import DeviceEvent
from acs.domain.tasks import SECRET_FIELDS, expiry_of, parse_task, task_type
from acs.projections import fleet_filter

Select = Callable[[dict[str, str], list[str], int], list[str]]
"""Device ids a filter or a list selects, at most so many."""


class CampaignCommands:
    """Create, pause, resume and complete campaigns; returns the event's log position."""

    def __init__(self, store: EventStore, catalog: FileCatalog) -> None:
        self.store, self.catalog = store, catalog

    def state(self, campaign_id: str) -> CampaignState | None:
        """A campaign's state, folded from its events."""
        return decide.fold(self.store.load_events(campaign_aggregate(campaign_id)))

    def create(self, request: CampaignRequest, actor: str) -> tuple[str, int]:
        """Start a campaign of a stored file; returns its id."""
        stored = self.catalog.get(request.file_id)
        if stored is None:
            raise CampaignError(f"no file {request.file_id}")
        fleet_filter.device_filter(request.filter)
        definition = define_campaign(request, version=stored.version,
                                     file_type=stored.file_type, file_size=stored.size)  # fmt: skip
        campaign_id = uuid.uuid4().hex
        events = decide.create_campaign(campaign_id=campaign_id, definition=definition,
                                        actor=actor, at=now())  # fmt: skip
        return campaign_id, self.store.append(events)[-1]

    def pause(self, campaign_id: str, actor: str, reason: str = "paused by an operator") -> int:
        """Pause a campaign; 0 when it was paused already."""
        return self._decide(campaign_id, lambda s: decide.pause_campaign(
            s, campaign_id=campaign_id, reason=reason, actor=actor, at=now()))  # fmt: skip

    def resume(self, campaign_id: str, actor: str) -> int:
        """Resume a paused campaign; 0 when it was running."""
        return self._decide(campaign_id, lambda s: decide.resume_campaign(
            s, campaign_id=campaign_id, actor=actor, at=now()))  # fmt: skip

    def complete(self, campaign_id: str) -> int:
        """Mark a campaign completed."""
        return self._decide(campaign_id, lambda s: decide.complete_campaign(
            s, campaign_id=campaign_id, actor=f"campaign:{campaign_id}", at=now()))  # fmt: skip

    def _decide(
        self, campaign_id: str, decision: Callable[[CampaignState | None], list[DeviceEvent]]
    ) -> int:
        for _ in range(5):
            events = decision(self.state(campaign_id))
            if not events:
                return 0
            try:
                return self.store.append(events)[-1]
            except ConcurrencyError:
                continue
        raise ConcurrencyError(campaign_id)


class BulkCommands:
    """Record bulk operations: one task for every device a filter or list selects."""

    def __init__(self, store: EventStore, catalog: FileCatalog, select: Select) -> None:
        self.store, self.catalog, self.select = store, catalog, select

    def create(self, request: BulkRequest, actor: str) -> tuple[str, int]:
        """Validate the task, select the devices and record the operation; returns its id."""
        check_selection(request.filter, request.devices)
        check_rate(request.rate)
        fleet_filter.device_filter(request.filter)
        kind, parameters = str(request.task.get("type", "")), request.task.get("parameters")
        task = parse_task(kind, parameters if isinstance(parameters, dict) else {})
        if any(getattr(task, f) for f in SECRET_FIELDS.get(task_type(task), ())):
            raise CampaignError("bulk tasks cannot carry passwords; download a stored file")
        task = with_file(task, parameters if isinstance(parameters, dict) else {}, self.catalog)
        at = now()
        expires_at = expiry_of(request.task).deadline(at)
        listed = list(dict.fromkeys(request.devices))
        devices = listed or self.select(request.filter, [], MAX_DEVICES)
        bulk_id = uuid.uuid4().hex
        definition = BulkDefinition(task, tuple(devices), request.rate, request.filter,
                                    expires_at)  # fmt: skip
        events = decide.create_bulk(bulk_id=bulk_id, definition=definition, actor=actor, at=at)
        return bulk_id, self.store.append(events)[-1]
