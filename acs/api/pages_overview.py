"""The dashboard's overview (`/`): fleet totals, Informs per minute, devices by software
version and the recent faults; `/fragments/overview` re-renders it every 5 seconds."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from acs.api.services import Services
from acs.api.web import PAGE_DEPENDENCIES, page
from acs.domain.access import Principal
from acs.projections.activity import Minute

CHART_MINUTES = 180
"""The Informs chart covers the last three hours."""
DAY_MINUTES = 24 * 60


def informs_chart(minutes: list[Minute]) -> dict[str, Any]:
    """The chart of Informs per minute, as `acs.js` draws it."""
    return {
        "label": "Informs per minute",
        "x": [int(m.minute.timestamp()) for m in minutes],
        "y": [m.informs for m in minutes],
    }


def _overview(services: Services) -> dict[str, Any]:
    """Everything the overview shows (blocking: run it in the thread pool)."""
    read = services.read
    day = read.overview.minutes(DAY_MINUTES)
    recent = day[-CHART_MINUTES:]
    return {
        "stats": read.stats(),
        "faults_24h": sum(m.faults for m in day),
        "informs_1h": sum(m.informs for m in day[-60:]),
        "chart": informs_chart(recent),
        "versions": read.overview.software_versions(),
        "faults": read.overview.recent_faults(),
    }


@get("/", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def overview(
    request: Request[Any, Any, Any], services: Services, principal: Principal
) -> Template:
    """The overview page."""
    shown = await services.run(_overview, services)
    return page(request, principal, "overview.html", **shown)


@get("/fragments/overview", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def overview_fragment(
    request: Request[Any, Any, Any], services: Services, principal: Principal
) -> Template:
    """The overview's live part, as the page polls it."""
    shown = await services.run(_overview, services)
    return page(request, principal, "partials/overview_live.html", **shown)


PAGES = [overview, overview_fragment]
"""The overview's routes."""
