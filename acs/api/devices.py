"""The REST API for devices, their parameters and their tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import Provide
from litestar.exceptions import NotFoundException

from acs.adapters.connection_request import Outcome
from acs.api.device_search import PAGE_HEADERS, SEARCH_DESCRIPTION, device_query, page_headers
from acs.api.history import parameters_at, require_zone
from acs.api.services import Services
from acs.application.downloads import with_file
from acs.domain.tasks import (
    AnyTask,
    Expiry,
    FactoryResetTask,
    Instant,
    RebootTask,
    Seconds,
    parse_task,
    shown_parameters,
    task_type,
)
from acs.projections.device_filter import DeviceQuery
from acs.projections.queries import (
    DeviceDetail,
    DeviceSummary,
    ProjectionStatus,
    Stats,
    Task,
)
from acs.projections.queries import Parameter as ParameterRow


class TaskRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A task to queue: `type` is one of the task types, `parameters` depends on it. Never
    sent `expires_in` seconds from now or at `expires_at` (not both; neither: after
    ACS_TASK_EXPIRY, unset: never), it ends `expired`."""

    type: str
    parameters: dict[str, Any] = {}
    expires_in: Seconds | None = None
    expires_at: Instant | None = None


class CreatedTask(Task, frozen=True):
    """A task just queued, with the outcome of the connection request that announced it:
    `ok`, `auth_failed`, `unreachable`, `timeout` or `skipped`."""

    connection_request: str = "skipped"
    connection_request_detail: str = ""


class Credentials(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Connection-request credentials; the password is stored sealed and never shown back."""

    username: str
    password: str


async def queue_and_request(
    services: Services,
    device_id: str,
    task: AnyTask,
    actor: str,
    connection_request: bool,
    *,
    expires_at: datetime | None = None,
) -> CreatedTask:
    """Queue a task, ask the device to connect (unless told not to) and answer the task as
    the read model has it: the one path of the API and the dashboard."""
    queue = services.commands.queue_task
    task_id, position = await services.run(queue, device_id, task, actor, expires_at)
    outcome, detail = Outcome.SKIPPED, "not asked for"
    if connection_request and services.connection_requests is not None:
        outcome, detail = await services.connection_requests.request(device_id, task_id)
    stored = await _stored(services, task_id, position) or _fresh(
        device_id, task_id, task, actor, expires_at
    )
    fields = {f: getattr(stored, f) for f in stored.__struct_fields__}
    return CreatedTask(**fields, connection_request=outcome.value, connection_request_detail=detail)


async def _stored(services: Services, task_id: str, position: int) -> Task | None:
    await services.wait_for_read_model(position)
    return await services.run(services.read.task, task_id)


def _fresh(
    device_id: str, task_id: str, task: AnyTask, actor: str, expires_at: datetime | None
) -> Task:
    """The task as the read model will show it, while the projection lags (the default
    expiry, if any, is not known here)."""
    return Task(
        id=task_id,
        device_id=device_id,
        type=task_type(task),
        parameters=shown_parameters(task),
        status="pending",
        actor=actor,
        created_at=datetime.now(UTC),
        sent_at=None,
        completed_at=None,
        result=None,
        fault=None,
        expires_at=expires_at,
    )


class DeviceController(Controller):
    """Devices as the read model knows them, and the tasks operators queue for them."""

    path = "/api/devices"
    tags = ["devices"]

    @get(
        "/",
        description=SEARCH_DESCRIPTION,
        response_headers=PAGE_HEADERS,
        dependencies={"search": Provide(device_query, sync_to_thread=False)},
    )
    async def list_devices(
        self, request: Request[Any, Any, Any], services: Services, search: DeviceQuery
    ) -> Response[list[DeviceSummary]]:
        """Devices matching the search, a page at a time (`SEARCH_DESCRIPTION`)."""
        page = await services.run(services.read.search_devices, search)
        return Response(page.devices, headers=page_headers(request, page))

    @get("/{device_id:str}")
    async def get_device(self, services: Services, device_id: str) -> DeviceDetail:
        """One device with its connection request URL, interval and event count."""
        device = await services.run(services.read.device, device_id)
        if device is None:
            raise NotFoundException(detail=f"no device {device_id}")
        return device

    @get("/{device_id:str}/parameters")
    async def get_parameters(
        self, services: Services, device_id: str, at: datetime | None = None
    ) -> list[ParameterRow]:
        """The device's current parameter values (`?at=`: as the ACS knew them then)."""
        if at is not None:
            require_zone(at)  # a malformed request is a 400 whether or not the device is known
        await _known(services, device_id)
        if at is not None:
            return await parameters_at(services, device_id, at)
        return await services.run(services.read.parameters, device_id)

    @get("/{device_id:str}/tasks")
    async def get_tasks(self, services: Services, device_id: str) -> list[Task]:
        """The device's tasks, oldest first."""
        await _known(services, device_id)
        return await services.run(services.read.tasks, device_id)

    @post("/{device_id:str}/tasks", status_code=201)
    async def create_task(
        self,
        services: Services,
        device_id: str,
        data: TaskRequest,
        actor: str,
        connection_request: bool = True,
    ) -> CreatedTask:
        """Queue a task and ask the device to connect now (`?connection_request=false`: wait
        for its next session)."""
        task = parse_task(data.type, data.parameters)
        expires_at = Expiry(data.expires_in, data.expires_at).deadline(datetime.now(UTC))
        if services.fleet is not None:
            task = await services.run(with_file, task, data.parameters, services.fleet.catalog)
        return await queue_and_request(
            services, device_id, task, actor, connection_request, expires_at=expires_at
        )

    @post("/{device_id:str}/reboot", status_code=201)
    async def reboot(
        self,
        services: Services,
        device_id: str,
        actor: str,
        connection_request: bool = True,
    ) -> CreatedTask:
        """Queue a reboot."""
        return await queue_and_request(services, device_id, RebootTask(), actor, connection_request)

    @post("/{device_id:str}/factory-reset", status_code=201)
    async def factory_reset(
        self,
        services: Services,
        device_id: str,
        actor: str,
        connection_request: bool = True,
    ) -> CreatedTask:
        """Queue a factory reset."""
        task = FactoryResetTask()
        return await queue_and_request(services, device_id, task, actor, connection_request)

    @put("/{device_id:str}/connection-request-credentials", status_code=204)
    async def set_credentials(
        self, services: Services, device_id: str, data: Credentials, actor: str
    ) -> None:
        """Set the credentials for connection requests to this device (never shown back)."""
        position = await services.run(
            services.commands.set_credentials,
            device_id,
            data.username,
            data.password,
            actor,
        )
        await services.wait_for_read_model(position)

    @put("/{device_id:str}/tags/{tag:str}", status_code=204)
    async def tag_device(self, services: Services, device_id: str, tag: str, actor: str) -> None:
        """Tag the device (already tagged: nothing changes); searches see it at once."""
        position = await services.run(services.commands.tag, device_id, tag, actor)
        if position is not None:
            await services.wait_for_read_model(position)

    @delete("/{device_id:str}/tags/{tag:str}", status_code=204)
    async def untag_device(self, services: Services, device_id: str, tag: str, actor: str) -> None:
        """Take the tag off the device (not tagged: nothing changes)."""
        position = await services.run(services.commands.untag, device_id, tag, actor)
        if position is not None:
            await services.wait_for_read_model(position)


async def _known(services: Services, device_id: str) -> None:
    if not await services.run(services.read.device_exists, device_id):
        raise NotFoundException(detail=f"no device {device_id}")


@get("/api/tasks/{task_id:str}", tags=["tasks"])
async def get_task(services: Services, task_id: str) -> Task:
    """One task with its status, result and fault."""
    task = await services.run(services.read.task, task_id)
    if task is None:
        raise NotFoundException(detail=f"no task {task_id}")
    return task


@get("/api/status/projections", tags=["stats"])
async def get_projection_status(services: Services) -> ProjectionStatus:
    """Events stored, events in the read model, and how far behind it runs (seconds)."""
    return await services.run(services.read.projection_status)


@get("/api/stats", tags=["stats"])
async def get_stats(services: Services) -> Stats:
    """Fleet totals: devices, online, offline, unfinished tasks."""
    return await services.run(services.read.stats)
