"""The error answers of the REST API in its OpenAPI document, which the types cannot say.

Litestar documents what a handler returns and, for some, a 400; any route refuses a malformed
request with 400 (`text_guard`), and the other errors come from the guard
(401, 403), from lookups (404), from the body limit (413), from conflicts (409) and from a
write that met another (503, `Retry-After`). Every error body is `{"status_code", "detail"}`.
The rules follow the routes: the access rule of each (`domain.access`), its path parameters
and its body; only conflicts are listed by hand.
"""

from __future__ import annotations

from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)

from acs.domain.access import SAFE_METHODS, Role, is_public, required_role

ERROR = Schema(
    type=OpenAPIType.OBJECT,
    required=["status_code", "detail"],
    properties={
        "status_code": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "extra": Schema(description="what was wrong, when the answer says more"),
    },
    description="An error: its HTTP status and what went wrong.",
)

CONFLICTS = frozenset(
    {
        ("POST", "/api/presets"),
        ("POST", "/api/keys"),
        ("POST", "/api/users"),
        ("POST", "/api/campaigns"),
        ("POST", "/api/bulk"),
        ("POST", "/api/campaigns/{campaign_id}/pause"),
        ("POST", "/api/campaigns/{campaign_id}/resume"),
        ("DELETE", "/api/files/{file_id}"),
    }
)
"""Operations answering 409: a name taken, a campaign not in that state, a file in use."""

EVENT_SOURCED = ("/api/devices", "/api/presets", "/api/campaigns", "/api/bulk")
"""Route prefixes whose writes append events, which meet concurrent writes with 503."""

RAW_BODIES = frozenset({("POST", "/api/files")})
"""Operations whose body is the raw bytes of a file, read without a declared type."""

_WHY = {
    "400": "The request is malformed: a parameter or body the route refuses",
    "401": "No API key or dashboard session, or one that is not valid",
    "403": "The credential's role may not do this (or a session's CSRF token is missing)",
    "404": "Nothing with this id or name",
    "409": "Conflicts with the current state",
    "413": "The request body is too large",
    "503": "The device or object was written at the same moment; retry",
}


def _answer(status: str) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] | None = None
    if status == "503":
        headers = {"Retry-After": OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING))}
    content = {"application/json": OpenAPIMediaType(schema=Reference("#/components/schemas/Error"))}
    return OpenAPIResponse(description=_WHY[status], content=content, headers=headers)


def error_statuses(method: str, path: str, operation: Operation) -> list[str]:
    """The error statuses `method` on the route template `path` may answer."""
    if is_public(path):
        return []
    role = required_role(method, path)
    statuses = ["400", "401"]
    if role != Role.VIEWER or method not in SAFE_METHODS:
        statuses.append("403")
    if "{" in path:
        statuses.append("404")
    if (method, path) in CONFLICTS:
        statuses.append("409")
    if operation.request_body is not None:
        statuses.append("413")
    if method not in SAFE_METHODS and path.startswith(EVENT_SOURCED):
        statuses.append("503")
    return statuses


def document_errors(openapi: OpenAPI) -> None:
    """Add the error answers (and raw request bodies) to every operation of `openapi`."""
    if openapi.components.schemas is None:
        openapi.components.schemas = {}
    openapi.components.schemas["Error"] = ERROR
    for path, item in (openapi.paths or {}).items():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method)
            if operation is None:
                continue
            if (method.upper(), path) in RAW_BODIES:
                binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                operation.request_body = RequestBody(
                    content={"application/octet-stream": OpenAPIMediaType(schema=binary)},
                    required=True,
                    description="the file itself",
                )
            responses = operation.responses if operation.responses is not None else {}
            for status in error_statuses(method.upper(), path, operation):
                responses.setdefault(status, _answer(status))
            operation.responses = responses
