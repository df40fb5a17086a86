"""Device search over HTTP: the documented query parameters of `GET /api/devices` and the
pagination headers of its answer (the body stays a JSON list of devices)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter

from acs.projections.device_filter import DeviceQuery, parse_device_query
from acs.projections.queries import DevicePage

SEARCH_DESCRIPTION = """Devices matching every filter given, sorted, a page at a time.

`param.<Name>=value` matches a parameter's value exactly, `param.<Name>=~prefix` by prefix,
`param.<Name>=>n` and `param.<Name>=<n>` as a number (values that are not numbers never
match), and `param.<Name>==value` exactly a value starting with `~`, `>`, `<` or `=`;
several `param.` filters must all hold. The body is a JSON list of devices; `X-Total-Count`
gives how many match, and while pages follow `X-Next-Cursor` and `Link` point at the next.
A malformed filter, sort, limit or cursor is a 400 saying what is wrong."""

PAGE_HEADERS = [
    ResponseHeader(
        name="X-Total-Count",
        documentation_only=True,
        required=True,
        description="How many devices match the filters, over all pages (a total above "
        "10,000 may be up to 30 s old).",
    ),
    ResponseHeader(
        name="X-Next-Cursor",
        documentation_only=True,
        description="Pass as `cursor` for the next page; absent on the last page.",
    ),
    ResponseHeader(
        name="Link",
        documentation_only=True,
        description='RFC 8288 `<...>; rel="next"`: this search\'s next page; absent on the last.',
    ),
]

Exact = Annotated[str | None, Parameter(description="exact match")]


def device_query(
    request: Request[Any, Any, Any],
    *,
    tag: Annotated[
        list[str] | None, Parameter(description="carries this tag (repeat: all of them)")
    ] = None,
    online: Annotated[str | None, Parameter(description="`true` or `false`")] = None,
    last_inform_before: Annotated[str | None, Parameter(description="ISO 8601 date-time")] = None,
    last_inform_after: Annotated[str | None, Parameter(description="ISO 8601 date-time")] = None,
    manufacturer: Exact = None,
    product_class: Exact = None,
    software_version: Annotated[
        str | None, Parameter(description="exact; empty: no known version")
    ] = None,
    sort: Annotated[
        str | None,
        Parameter(
            description="id (default), last_inform, -last_inform, software_version, manufacturer"
        ),
    ] = None,
    limit: Annotated[str | None, Parameter(description="1 to 1000, default 100")] = None,
    cursor: Annotated[str | None, Parameter(description="X-Next-Cursor of the page before")] = None,
    offset: Annotated[str | None, Parameter(description="rows to skip (prefer cursor)")] = None,
) -> DeviceQuery:
    """The search the whole query string asks for, `param.<Name>` filters included; the
    parameters above are parsed from it too (named here for the OpenAPI document)."""
    return parse_device_query(request.query_params.multi_items())


def page_headers(request: Request[Any, Any, Any], page: DevicePage) -> dict[str, str]:
    """The total, and where the next page is (absent on the last page)."""
    headers = {"X-Total-Count": str(page.total)}
    if page.next_cursor is not None:
        kept = [(k, v) for k, v in request.query_params.multi_items() if k not in _MOVED]
        query = urlencode([*kept, ("cursor", page.next_cursor)])
        headers["X-Next-Cursor"] = page.next_cursor
        headers["Link"] = f'<{request.url.path}?{query}>; rel="next"'
    return headers


_MOVED = ("cursor", "offset")
