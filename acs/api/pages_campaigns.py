"""The dashboard's firmware campaigns: `/campaigns` lists them with their progress (viewers
too) and starts one; `/campaigns/{id}/pause` and `/resume` pause and resume one (admins).
Campaigns are never deleted: they are the record of a roll-out."""

from __future__ import annotations

from collections.abc import Callable

from litestar import get, post
from litestar.response import Redirect, Template

from acs.api.campaigns import every_campaign
from acs.api.fleet_files import fleet_of
from acs.api.pages_admin import AnyRequest, FormError, after, flash, form_of, lines, number, pairs
from acs.api.services import Services
from acs.api.web import PAGE_DEPENDENCIES, page
from acs.domain.access import Principal
from acs.domain.campaign_commands import CampaignNotFoundError, CampaignStateError
from acs.domain.campaigns import CampaignError, CampaignRequest
from acs.projections.device_filter import DeviceQueryError

_MESSAGES = {
    "created": "Campaign {} started: its first batch begins within a few seconds.",
    "paused": "Campaign {} paused: no new batch starts.",
    "resumed": "Campaign {} resumed.",
}
_DEFAULTS = {"batch_size": "10", "rate": "1", "window": "", "max_failure_rate": "0.2",
             "batch_timeout": "3600", "filter": "", "devices": "", "file_id": ""}  # fmt: skip


def campaign_request(form: dict[str, str]) -> CampaignRequest:
    """The campaign the form asks for (`FormError` for a field that is not a number)."""
    return CampaignRequest(
        file_id=form.get("file_id", ""),
        filter=pairs(form.get("filter", ""), "devices by filter"),
        devices=lines(form.get("devices", "")),
        batch_size=number(form.get("batch_size") or "10", "batch size"),
        rate=number(form.get("rate") or "1", "rate", float),
        window=form.get("window", "").strip(),
        max_failure_rate=number(form.get("max_failure_rate") or "0.2", "failure rate", float),
        batch_timeout=number(form.get("batch_timeout") or "3600", "batch timeout"),
    )


async def _list(
    request: AnyRequest, services: Services, principal: Principal, *, status: int = 200,
    error: str = "", form: dict[str, str] | None = None,
) -> Template:  # fmt: skip
    campaigns = await every_campaign(services)
    files = await services.run(fleet_of(services).catalog.list)
    return page(request, principal, "admin_campaigns.html", status_code=status,
                campaigns=campaigns, files=[f for f in files if f.version], error=error,
                form={**_DEFAULTS, **(form or {})}, flash=flash(request, _MESSAGES))  # fmt: skip


@get("/campaigns", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def campaigns_page(request: AnyRequest, services: Services, principal: Principal) -> Template:
    """Every campaign with its progress; admins get the form to start one."""
    return await _list(request, services, principal)


@post("/campaigns", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def create_campaign(
    request: AnyRequest, services: Services, principal: Principal, actor: str
) -> Template | Redirect:
    """Start a campaign."""
    form = await form_of(request)
    try:
        made = fleet_of(services).campaigns.create
        campaign_id, position = await services.run(made, campaign_request(form), actor)
    except (FormError, CampaignError, DeviceQueryError) as exc:
        return await _list(request, services, principal, status=400, error=str(exc), form=form)
    await services.wait_for_read_model(position)
    return after("/campaigns", created=campaign_id)


async def _change(
    request: AnyRequest, services: Services, principal: Principal, *, campaign_id: str,
    change: Callable[[str, str], int], actor: str, outcome: str,
) -> Template | Redirect:  # fmt: skip
    """Pause or resume a campaign, then back to the list saying so."""
    try:
        position = await services.run(change, campaign_id, actor)
    except CampaignNotFoundError:
        error = f"There is no campaign {campaign_id}."
        return await _list(request, services, principal, status=404, error=error)
    except CampaignStateError as exc:
        return await _list(request, services, principal, status=409, error=str(exc))
    if position:
        await services.wait_for_read_model(position)
    return after("/campaigns", **{outcome: campaign_id})


@post("/campaigns/{campaign_id:str}/pause", include_in_schema=False,
      dependencies=PAGE_DEPENDENCIES)  # fmt: skip
async def pause_campaign(
    request: AnyRequest, services: Services, principal: Principal, campaign_id: str, actor: str
) -> Template | Redirect:
    """Pause a campaign: the batch under way finishes, no new one starts."""
    pause = fleet_of(services).campaigns.pause
    return await _change(request, services, principal, campaign_id=campaign_id, change=pause,
                         actor=actor, outcome="paused")  # fmt: skip


@post("/campaigns/{campaign_id:str}/resume", include_in_schema=False,
      dependencies=PAGE_DEPENDENCIES)  # fmt: skip
async def resume_campaign(
    request: AnyRequest, services: Services, principal: Principal, campaign_id: str, actor: str
) -> Template | Redirect:
    """Resume a paused campaign."""
    resume = fleet_of(services).campaigns.resume
    return await _change(request, services, principal, campaign_id=campaign_id, change=resume,
                         actor=actor, outcome="resumed")  # fmt: skip


PAGES = [campaigns_page, create_campaign, pause_campaign, resume_campaign]
"""The routes of the campaigns' page."""
