"""The REST API of firmware campaigns and bulk operations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, get, post
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.params import Parameter

from acs.api.fleet_files import fleet_of
from acs.api.services import Services
from acs.domain.campaign_commands import CampaignNotFoundError, CampaignStateError
from acs.domain.campaigns import BulkRequest, CampaignError, CampaignRequest
from acs.projections import campaign_progress as progress
from acs.projections import fleet_filter
from acs.projections.bulk_progress import BulkJob, bulk_job
from acs.projections.campaign_progress import Batch, CampaignDevice

T = TypeVar("T")


class Campaign(msgspec.Struct, frozen=True):
    """A campaign and its progress.

    `matched`: devices the filter or list selects now; `queued`: devices given the download;
    `done`: downloads finished; `verified`: devices that reported the file's version after
    it; `failed`: faulted, timed out or not verified; `in_progress`: the rest of the queued.
    """

    id: str
    file_id: str
    version: str
    state: str
    reason: str
    actor: str
    created_at: datetime
    updated_at: datetime
    updated_by: str
    definition: dict[str, Any]
    matched: int
    queued: int
    done: int
    failed: int
    verified: int
    in_progress: int
    current_batch: int
    batches: list[Batch]


async def _guarded(work: Callable[[], Awaitable[T]]) -> T:
    """Campaign errors as HTTP answers: 400 malformed, 404 unknown, 409 not in this state."""
    try:
        return await work()
    except CampaignError as exc:
        raise ClientException(detail=str(exc)) from exc
    except CampaignNotFoundError as exc:
        raise NotFoundException(detail=f"no campaign {exc}") from exc
    except CampaignStateError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


def _campaign(services: Services, campaign_id: str) -> Campaign | None:
    """A campaign with its counts (blocking)."""
    row = progress.campaign(services.pool, campaign_id)
    if row is None:
        return None
    d = row.definition
    matched = fleet_filter.count(services.pool, d.get("filter", {}), d.get("devices", []))
    counts = progress.campaign_counts(services.pool, campaign_id)
    batches = progress.batches(services.pool, campaign_id)
    current = batches[-1].batch if batches else 0
    return Campaign(row.id, row.file_id, str(d["version"]), row.state, row.reason, row.actor,
                    row.created_at, row.updated_at, row.updated_by, d, matched,
                    current_batch=current, batches=batches, **counts)  # fmt: skip


async def _shown(services: Services, campaign_id: str, position: int = 0) -> Campaign:
    if position:
        await services.wait_for_read_model(position)
    found = await services.run(_campaign, services, campaign_id)
    if found is None:
        raise NotFoundException(detail=f"no campaign {campaign_id}")
    return found


async def every_campaign(services: Services) -> list[Campaign]:
    """Every campaign, newest first, with its progress (the API's list and the dashboard's)."""
    rows = await services.run(progress.campaigns, services.pool)
    return [await _shown(services, row.id) for row in rows]


class CampaignController(Controller):
    """Firmware campaigns: a stored file rolled out in batches, with a stop rule."""

    path = "/api/campaigns"
    tags = ["campaigns"]

    @post("/", status_code=201)
    async def create(self, services: Services, data: CampaignRequest, actor: str) -> Campaign:
        """Start a campaign; the driver takes its first batch within a round."""
        made = fleet_of(services).campaigns.create
        campaign_id, position = await _guarded(
            lambda: services.run(made, data, actor))  # fmt: skip
        return await _shown(services, campaign_id, position)

    @get("/")
    async def list_campaigns(self, services: Services) -> list[Campaign]:
        """Every campaign, newest first, with its progress."""
        return await every_campaign(services)

    @get("/{campaign_id:str}")
    async def get_campaign(self, services: Services, campaign_id: str) -> Campaign:
        """One campaign with its progress and batches."""
        return await _shown(services, campaign_id)

    @get("/{campaign_id:str}/devices")
    async def devices(
        self,
        services: Services,
        campaign_id: str,
        after: str = "",
        limit: Annotated[int, Parameter(ge=1, le=10000)] = 1000,
    ) -> list[CampaignDevice]:
        """The campaign's devices and their outcomes, by id (`after`: the last id seen)."""
        await _shown(services, campaign_id)
        return await services.run(progress.campaign_devices, services.pool, campaign_id,
                                  after, limit)  # fmt: skip

    @post("/{campaign_id:str}/pause", status_code=200)
    async def pause(self, services: Services, campaign_id: str, actor: str) -> Campaign:
        """Pause a campaign: no new batch starts (the batch under way finishes)."""
        commands = fleet_of(services).campaigns
        position = await _guarded(
            lambda: services.run(commands.pause, campaign_id, actor))  # fmt: skip
        return await _shown(services, campaign_id, position)

    @post("/{campaign_id:str}/resume", status_code=200)
    async def resume(self, services: Services, campaign_id: str, actor: str) -> Campaign:
        """Resume a paused campaign (by an operator or by its stop rule)."""
        commands = fleet_of(services).campaigns
        position = await _guarded(
            lambda: services.run(commands.resume, campaign_id, actor))  # fmt: skip
        return await _shown(services, campaign_id, position)


class BulkController(Controller):
    """Bulk operations: one task for many devices, announced at a rate."""

    path = "/api/bulk"
    tags = ["bulk"]

    @post("/", status_code=201)
    async def create(self, services: Services, data: BulkRequest, actor: str) -> BulkJob:
        """Queue a task on every device a filter or list selects, in the background."""
        made = fleet_of(services).bulk.create
        bulk_id, position = await _guarded(
            lambda: services.run(made, data, actor))  # fmt: skip
        await services.wait_for_read_model(position)
        return await _bulk(services, bulk_id)

    @get("/{bulk_id:str}")
    async def get_bulk(self, services: Services, bulk_id: str) -> BulkJob:
        """A bulk operation's progress: matched, queued, sent, done, faulted."""
        return await _bulk(services, bulk_id)


async def _bulk(services: Services, bulk_id: str) -> BulkJob:
    found = await services.run(bulk_job, services.pool, bulk_id)
    if found is None:
        raise NotFoundException(detail=f"no bulk operation {bulk_id}")
    return found
