"""The device list (`/devices`) and bulk actions on it (`POST /bulk`, `/bulk/{id}`).

The list's query string is the one of `GET /api/devices` (`parse_device_query`, the same
`ReadModel.search_devices`): a filtered page's URL can be shared, or given to the API. The
filter form adds a marker field; its submission is sent on to the same query string without
empty fields, its new `param.` row written as `param.<Name>=value`. Pages follow keyset
cursors (never offsets); the first page's rows are polled so that new devices show up.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from acs.api.fleet_files import fleet_of
from acs.api.services import Services
from acs.api.web import NO_STORE, PAGE_DEPENDENCIES, page, query, safe_next
from acs.domain.access import Principal
from acs.domain.campaigns import BulkRequest, CampaignError
from acs.domain.device import DeviceNotFoundError
from acs.domain.tags import InvalidTagError
from acs.projections.bulk_progress import bulk_job
from acs.projections.device_filter import (
    MAX_LIMIT,
    SORTS,
    DeviceQueryError,
    parse_device_query,
)
from acs.projections.queries import DevicePage

FORM_MARKER = "filter_form"
"""A hidden field of the filter form: its submission is tidied into the API's query string."""
NEW_PARAM = ("new_param_name", "new_param_value")
_FORM_ONLY = (FORM_MARKER, *NEW_PARAM)
_PAGING = ("cursor", "offset")
LIMITS = (25, 50, 100, 200, 500)
BULK_TASKS: dict[str, dict[str, Any]] = {
    "reboot": {"type": "reboot"},
    "refresh": {"type": "refresh", "parameters": {"path": ""}},
}
"""The bulk actions that queue a task, and the task each queues."""
TAG_ACTIONS = ("tag", "untag")
Items = list[tuple[str, str]]


def tidied(items: Items) -> Items:
    """The filter form's fields as the API's query string: empty fields left out, the new
    `param.` row as `param.<Name>=value`, paging restarted."""
    fields = dict(items)
    kept = [(k, v) for k, v in items if k not in (*_FORM_ONLY, *_PAGING) and v != ""]
    name, value = (fields.get(key, "").strip() for key in NEW_PARAM)
    if name:
        kept.append((f"param.{name.removeprefix('param.')}", value))
    return kept


def _search(services: Services, items: Items) -> tuple[DevicePage | None, str]:
    """The page the query string asks for, or the reason it is malformed (blocking). A
    large total not counted lately is left for `/fragments/devices/total` to fill in, so
    the page never waits for a count of a million devices."""
    try:
        search = parse_device_query(items)
    except DeviceQueryError as exc:
        return None, str(exc)
    return services.read.search_devices(search, exact_total=False), ""


def _total(services: Services, items: Items) -> int | None:
    """How many devices the query string's search matches (None: it is malformed)."""
    try:
        search = parse_device_query(items)
    except DeviceQueryError:
        return None
    return services.read.search_total(search)


def list_context(items: Items, found: DevicePage | None, error: str) -> dict[str, Any]:
    """What the list and its form show for a query string and its page."""
    first = [(k, v) for k, v in items if k not in _PAGING]
    following = None
    if found is not None and found.next_cursor is not None:
        following = "/devices?" + query(first, cursor=found.next_cursor)
    return {
        "items": items,
        "filters": {k: v for k, v in first if not k.startswith("param.") and k != "tag"},
        "tags": [v for k, v in first if k == "tag"],
        "params": [(k.removeprefix("param."), v) for k, v in first if k.startswith("param.")],
        "page": found,
        "error": error,
        "query_string": query(items),
        "filter_query": query([(k, v) for k, v in first if k not in ("sort", "limit")]),
        "first_url": "/devices?" + query(first) if len(first) != len(items) else None,
        "next_url": following,
        "live": len(first) == len(items),
        "sorts": SORTS,
        "limits": _limits(dict(first).get("limit", "")),
    }


def _limits(given: str) -> list[int]:
    """The page sizes the form offers, with the one the query string gives."""
    extra = {int(given)} if given.isdigit() and 0 < int(given) <= MAX_LIMIT else set()
    return sorted({*LIMITS, *extra})


@get("/devices", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def device_list(
    request: Request[Any, Any, Any], services: Services, principal: Principal
) -> Response[Any]:
    """The device list: the filter form, a page of devices, the bulk actions."""
    items: Items = list(request.query_params.multi_items())
    if any(key == FORM_MARKER for key, _ in items):
        return Redirect("/devices?" + query(tidied(items)), status_code=303, headers=NO_STORE)
    found, error = await services.run(_search, services, items)
    status = 400 if error else 200
    shown = list_context(items, found, error)
    return page(request, principal, "devices.html", status_code=status, **shown)


@get("/fragments/devices", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def device_rows(
    request: Request[Any, Any, Any], services: Services, principal: Principal
) -> Template:
    """The list's rows for a query string, as the first page polls them."""
    items: Items = list(request.query_params.multi_items())
    found, error = await services.run(_search, services, items)
    shown = list_context(items, found, error)
    return page(request, principal, "partials/device_rows.html", **shown)


@get("/fragments/devices/total", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def device_total(
    request: Request[Any, Any, Any], services: Services, principal: Principal
) -> Template:
    """The exact total of a search whose page showed only a lower bound."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in _PAGING]
    total = await services.run(_total, services, items)
    status = 400 if total is None else 200
    return page(request, principal, "partials/device_total.html", status_code=status,
                total=total)  # fmt: skip


def _bulk_request(form: dict[str, Any], devices: list[str]) -> BulkRequest:
    """The bulk operation a form asks for: the chosen devices, or all that match."""
    task = BULK_TASKS[form["action"]]
    if form.get("target") != "matching":
        return BulkRequest(task=task, devices=devices)
    items = [(k, v) for k, v in parse_qsl_items(form.get("filter_query", "")) if k not in _PAGING]
    if len({k for k, _ in items}) != len(items):
        raise CampaignError("a bulk operation's filter takes each field once (one tag)")
    return BulkRequest(task=task, filter=dict(items))


def parse_qsl_items(text: str) -> Items:
    """A query string's pairs, blank values kept."""
    return parse_qsl(text, keep_blank_values=True)


async def _tag_all(
    services: Services, devices: list[str], form: dict[str, Any], actor: str
) -> None:
    """Add or remove the form's tag on each chosen device, then wait for the list to show it."""
    change = services.commands.tag if form["action"] == "tag" else services.commands.untag
    last: int | None = None
    for device in devices:
        last = await services.run(change, device, str(form.get("tag", "")).strip(), actor) or last
    if last is not None:
        await services.wait_for_read_model(last)


@post("/bulk", include_in_schema=False, dependencies=PAGE_DEPENDENCIES, status_code=303)
async def bulk_action(
    request: Request[Any, Any, Any], services: Services, principal: Principal, actor: str
) -> Response[Any]:
    """Run a bulk action on the list's chosen devices: a task through a bulk operation, or
    a tag added or removed."""
    raw = await request.form()
    form: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(v, str)}
    devices = [v for v in raw.getall("device", []) if isinstance(v, str)]
    back = safe_next(form.get("back"))
    action = form.get("action", "")
    if action not in (*BULK_TASKS, *TAG_ACTIONS):
        return _refused(request, principal, f"unknown action {action!r}", back)
    if not devices and (action in TAG_ACTIONS or form.get("target") != "matching"):
        return _refused(request, principal, "Choose at least one device first.", back)
    try:
        if action in TAG_ACTIONS:
            await _tag_all(services, devices, form, actor)
            return Redirect(back, status_code=303, headers=NO_STORE)
        made = fleet_of(services).bulk.create
        bulk_id, position = await services.run(made, _bulk_request(form, devices), actor)
    except (CampaignError, DeviceQueryError, InvalidTagError, DeviceNotFoundError) as exc:
        return _refused(request, principal, str(exc), back)
    await services.wait_for_read_model(position)
    return Redirect(f"/bulk/{bulk_id}", status_code=303, headers=NO_STORE)


def _refused(
    request: Request[Any, Any, Any], principal: Principal, why: str, back: str
) -> Template:
    return page(request, principal, "message.html", status_code=400, title="Not done",
                detail=why, back=back)  # fmt: skip


@get("/bulk/{bulk_id:str}", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def bulk_page(
    request: Request[Any, Any, Any], services: Services, principal: Principal, bulk_id: str
) -> Template:
    """A bulk operation's progress, refreshed until it has finished."""
    job = await services.run(bulk_job, services.pool, bulk_id)
    if job is None:
        return page(request, principal, "message.html", status_code=404, title="Not found",
                    detail=f"No bulk operation {bulk_id}.", back="/devices")  # fmt: skip
    return page(request, principal, "bulk.html", job=job)


PAGES = [device_list, device_rows, device_total, bulk_action, bulk_page]
"""The device list's routes."""
