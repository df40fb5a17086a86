"""The auditors' API: a device's events, its parameters at a past moment, a parameter's values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from litestar import Controller, Response, get
from litestar.datastructures import ResponseHeader
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Parameter

from acs.api.services import Services
from acs.application.history import EventRecord, History
from acs.projections.history import ParameterChange, parameter_changes
from acs.projections.queries import Parameter as ParameterRow

NEXT_HEADER = "X-Next-After"
_NEXT = [
    ResponseHeader(
        name=NEXT_HEADER,
        description="set when more follow: the `after` of the next page",
        documentation_only=True,
    )
]

T = TypeVar("T")


def _page(items: list[T], next_after: int | None) -> Response[list[T]]:
    headers = {NEXT_HEADER: str(next_after)} if next_after is not None else {}
    return Response(items, headers=headers)


def require_zone(at: datetime) -> None:
    """Refuse (400) a moment without a time zone: it names no instant."""
    if at.tzinfo is None:
        raise ValidationException(detail="`at` needs a time zone, e.g. 2026-01-01T12:00:00Z")


async def parameters_at(services: Services, device_id: str, at: datetime) -> list[ParameterRow]:
    """The device's parameters as the ACS knew them at `at` (which needs a time zone)."""
    require_zone(at)
    return await services.run(History(services.store).parameters_at, device_id, at)


class HistoryController(Controller):
    """A device's history: every event, and every value of its parameters."""

    path = "/api/devices"
    tags = ["history"]

    @get("/{device_id:str}/events", response_headers=_NEXT)
    async def get_events(
        self,
        services: Services,
        device_id: str,
        limit: Annotated[int, Parameter(ge=1, le=1000, description="events per page")] = 100,
        after: Annotated[int, Parameter(ge=0, description="a version")] = 0,
    ) -> Response[list[EventRecord]]:
        """The device's events in version order, each with its type, time, actor and data."""
        events, more = await services.run(History(services.store).events, device_id, after, limit)
        return _page(events, more)

    @get("/{device_id:str}/parameters/history", response_headers=_NEXT)
    async def get_parameter_history(
        self,
        services: Services,
        device_id: str,
        name: Annotated[str, Parameter(description="a name, or a partial path ending in `.`")],
        limit: Annotated[
            int, Parameter(ge=1, le=1000, description="events' changes per page")
        ] = 100,
        after: Annotated[int, Parameter(ge=0, description="a log position")] = 0,
    ) -> Response[list[ParameterChange]]:
        """Every value the parameter (or subtree) had, oldest first, with what caused it."""
        if not await services.run(services.read.device_exists, device_id):
            raise NotFoundException(detail=f"no device {device_id}")
        found = await services.run(parameter_changes, services.pool, device_id, name, after, limit)
        return _page(*found)
