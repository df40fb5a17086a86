"""The device page (`/devices/{id}`) and its parts: tasks, timeline, a parameter's history,
the parameters as they were at a moment; and the page's forms, which queue tasks.

It reads what the REST API reads (`ReadModel.device`, `parameters`, `tasks`, the event
store's pages, `parameter_changes`, `parameters_at`) and queues tasks as
`POST /api/devices/{id}/tasks` does (`parse_task`, `DeviceCommands.queue_task`, then a
connection request).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from acs.api.device_views import (
    TaskForm,
    history_chart,
    parameter_tree,
    task_of,
    timeline_page,
)
from acs.api.devices import queue_and_request
from acs.api.history import parameters_at
from acs.api.services import Services
from acs.api.web import NO_STORE, PAGE_DEPENDENCIES, device_url, page
from acs.application.downloads import with_file
from acs.domain.access import Principal
from acs.domain.device import DeviceNotFoundError
from acs.domain.tasks import AnyTask, TaskSpecError, parse_task
from acs.projections.history import parameter_changes

TASKS_SHOWN = 50
"""The device page lists the newest tasks, this many."""
HISTORY_PAGE = 500
"""A parameter's history page holds the changes of this many events."""
OPEN = ("pending", "sent")


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def _missing(request: Request[Any, Any, Any], principal: Principal, device_id: str) -> Template:
    return page(request, principal, "message.html", status_code=404, title="Not found",
                detail=f"No device {device_id}.", back="/devices")  # fmt: skip


def _tasks(services: Services, device_id: str) -> dict[str, Any]:
    everything = services.read.tasks(device_id)
    shown = everything[-TASKS_SHOWN:][::-1]
    return {
        "tasks": shown,
        "tasks_open": any(t.status in OPEN for t in shown),
        "task_types": {t.id: t.type for t in everything},
    }


def _device(services: Services, device_id: str) -> dict[str, Any] | None:
    """Everything the device page shows (blocking); None for an unknown device."""
    device = services.read.device(device_id)
    if device is None:
        return None
    files = services.fleet.catalog.list() if services.fleet is not None else []
    tasks = _tasks(services, device_id)
    last = device.event_count
    return {
        "device": device,
        "device_id": device_id,
        "tree": parameter_tree(services.read.parameters(device_id)),
        "timeline": timeline_page(services.store, device_id, last, tasks["task_types"]),
        "files": files,
        **tasks,
    }


@get("/devices/{device_id:str}", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def device_page(
    request: Request[Any, Any, Any],
    services: Services,
    principal: Principal,
    device_id: str,
    queued: str | None = None,
) -> Template:
    """A device: summary, actions, parameter tree, tasks and timeline."""
    shown = await services.run(_device, services, device_id)
    if shown is None:
        return _missing(request, principal, device_id)
    return page(request, principal, "device.html", queued=queued, **shown)


@get("/devices/{device_id:str}/tasks", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def device_tasks(
    request: Request[Any, Any, Any], services: Services, principal: Principal, device_id: str
) -> Template:
    """The device's tasks, as the page polls them while some are unfinished."""
    return await _tasks_fragment(request, services, principal, device_id)


async def _tasks_fragment(
    request: Request[Any, Any, Any], services: Services, principal: Principal, device_id: str
) -> Template:
    shown = await services.run(_tasks, services, device_id)
    return page(request, principal, "partials/device_tasks.html", device_id=device_id, **shown)


async def _task(services: Services, raw: dict[str, Any]) -> AnyTask:
    form = msgspec.convert(raw, TaskForm)
    kind, parameters = task_of(form)
    task = parse_task(kind, parameters)
    if services.fleet is not None:
        task = await services.run(with_file, task, parameters, services.fleet.catalog)
    return task


@post(
    "/devices/{device_id:str}/tasks",
    include_in_schema=False,
    dependencies=PAGE_DEPENDENCIES,
    status_code=303,
)
async def queue_task(
    request: Request[Any, Any, Any],
    services: Services,
    principal: Principal,
    actor: str,
    device_id: str,
) -> Response[Any]:
    """Queue the task a form of the device page asks for, then ask the device to connect."""
    raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        task = await _task(services, raw)
        created = await queue_and_request(services, device_id, task, actor, True)
    except (TaskSpecError, msgspec.ValidationError) as exc:
        return page(request, principal, "message.html", status_code=400, title="Not queued",
                    detail=str(exc), back=device_url(device_id))  # fmt: skip
    except DeviceNotFoundError:
        return _missing(request, principal, device_id)
    if _is_htmx(request):
        return await _tasks_fragment(request, services, principal, device_id)
    target = f"{device_url(device_id)}?queued={created.id}#tasks"
    return Redirect(target, status_code=303, headers=NO_STORE)


@get("/devices/{device_id:str}/timeline", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def device_timeline(
    request: Request[Any, Any, Any],
    services: Services,
    principal: Principal,
    device_id: str,
    before: int | None = None,
) -> Template:
    """A page of the device's events, newest first, up to the version `before` (the
    newest page without it)."""
    device = await services.run(services.read.device, device_id)
    if device is None:
        return _missing(request, principal, device_id)
    last = device.event_count if before is None else max(0, before)
    tasks = await services.run(_tasks, services, device_id)
    found = await services.run(timeline_page, services.store, device_id, last, tasks["task_types"])
    template = "partials/device_timeline.html" if _is_htmx(request) else "device_timeline.html"
    return page(request, principal, template, device_id=device_id, timeline=found)


@get("/devices/{device_id:str}/history", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def parameter_history(
    request: Request[Any, Any, Any],
    services: Services,
    principal: Principal,
    device_id: str,
    *,
    name: str = "",
    after: int = 0,
) -> Template:
    """Every value a parameter had, with its cause and actor; a chart for numbers."""
    if not await services.run(services.read.device_exists, device_id):
        return _missing(request, principal, device_id)
    changes, following = await services.run(
        parameter_changes, services.pool, device_id, name, max(0, after), HISTORY_PAGE
    )
    return page(request, principal, "parameter_history.html", device_id=device_id, name=name,
                changes=changes[::-1], chart=history_chart(name, changes),
                next_after=following)  # fmt: skip


def moment(text: str) -> datetime | None:
    """A moment from the form (`2026-03-01T12:00`, UTC unless it says otherwise)."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@get("/devices/{device_id:str}/at", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def device_at(
    request: Request[Any, Any, Any],
    services: Services,
    principal: Principal,
    device_id: str,
    at: str = "",
) -> Template:
    """The device's parameters as the ACS knew them at a moment."""
    if not await services.run(services.read.device_exists, device_id):
        return _missing(request, principal, device_id)
    when = moment(at) if at else None
    rows = await parameters_at(services, device_id, when) if when is not None else None
    error = "Give a date and time, like 2026-03-01T12:00." if at and when is None else ""
    tree = parameter_tree(rows) if rows is not None else None
    return page(request, principal, "device_at.html", status_code=400 if error else 200,
                device_id=device_id, at=at, when=when, tree=tree, error=error,
                count=len(rows or []))  # fmt: skip


PAGES = [device_page, device_tasks, queue_task, device_timeline, parameter_history, device_at]
"""The device page's routes."""
