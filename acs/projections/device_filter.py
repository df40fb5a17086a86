"""The query string of `GET /api/devices` parsed into typed filters and a page (pure, no SQL),
and the opaque cursor that keyset pagination hands out."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal, Protocol, cast, get_args

import msgspec

from acs.domain.tags import InvalidTagError, checked_tag

Sort = Literal["id", "last_inform", "-last_inform", "software_version", "manufacturer"]
SORTS: tuple[str, ...] = get_args(Sort)
ParamOp = Literal["equals", "prefix", "above", "below"]

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_MAX_CURSOR = 4096
_MAX_NAME = 256
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_OPERATORS: dict[str, ParamOp] = {"~": "prefix", ">": "above", "<": "below", "=": "equals"}
_SINGLE = (
    "online",
    "last_inform_before",
    "last_inform_after",
    "manufacturer",
    "product_class",
    "software_version",
    "sort",
    "limit",
    "offset",
    "cursor",
)


class DeviceQueryError(ValueError):
    """A malformed filter, sort, limit or cursor in a device search."""


class ParamFilter(msgspec.Struct, frozen=True):
    """`param.<name>`: its value equals `value`, starts with it, or is a number above or below
    it (`value` is then a decimal number)."""

    name: str
    op: ParamOp
    value: str


class DeviceFilter(msgspec.Struct, frozen=True):
    """Which devices match: every condition given holds (None or empty: no condition)."""

    params: tuple[ParamFilter, ...] = ()
    tags: tuple[str, ...] = ()
    online: bool | None = None
    last_inform_before: datetime | None = None
    last_inform_after: datetime | None = None
    manufacturer: str | None = None
    product_class: str | None = None
    software_version: str | None = None


class Cursor(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """Where a page ended: its sort, the last device's sort key (None for `id`) and its id."""

    sort: Sort
    key: str | None
    id: str


class Page(msgspec.Struct, frozen=True):
    """Which slice of the sorted matches: after a cursor, or at an offset."""

    sort: Sort = "id"
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    after: Cursor | None = None


class DeviceQuery(msgspec.Struct, frozen=True):
    """A whole device search."""

    filter: DeviceFilter = DeviceFilter()
    page: Page = Page()


class SortedRow(Protocol):
    """What a cursor is made from: a device's sort keys."""

    @property
    def id(self) -> str: ...
    @property
    def last_inform(self) -> datetime: ...
    @property
    def software_version(self) -> str | None: ...
    @property
    def manufacturer(self) -> str: ...


def parse_device_query(items: Iterable[tuple[str, str]]) -> DeviceQuery:
    """The search that a query string's (key, value) pairs ask for, or `DeviceQueryError`."""
    params: list[ParamFilter] = []
    tags: list[str] = []
    given: dict[str, str] = {}
    for key, value in items:
        if key.startswith("param."):
            params.append(parse_param_filter(key.removeprefix("param."), value))
        elif key == "tag":
            tags.append(_tag(value))
        elif key in _SINGLE:
            if key in given:
                raise DeviceQueryError(f"{key} is given more than once")
            given[key] = value
        else:
            raise DeviceQueryError(f"unknown query parameter {key!r}")
    return DeviceQuery(_filter(params, tags, given), _page(given))


def parse_param_filter(name: str, value: str) -> ParamFilter:
    """`param.<name>=value`: exact; `=~p` prefix; `=>n`, `=<n` numbers; `==v` exactly `v`."""
    if not name or len(name) > _MAX_NAME:
        raise DeviceQueryError("param. needs a parameter name: param.<Name>=<value>")
    op = _OPERATORS.get(value[:1], "equals")
    operand = value[1:] if value[:1] in _OPERATORS else value
    if op in ("above", "below") and not _NUMBER.fullmatch(operand):
        raise DeviceQueryError(f"param.{name}: {operand!r} is not a number (like -12 or 3.5)")
    return ParamFilter(name, op, operand)


def _tag(value: str) -> str:
    try:
        return checked_tag(value)
    except InvalidTagError as exc:
        raise DeviceQueryError(f"tag: {exc}") from exc


def _filter(params: list[ParamFilter], tags: list[str], given: dict[str, str]) -> DeviceFilter:
    return DeviceFilter(
        params=tuple(params),
        tags=tuple(dict.fromkeys(tags)),
        online=_boolean("online", given.get("online")),
        last_inform_before=_instant("last_inform_before", given.get("last_inform_before")),
        last_inform_after=_instant("last_inform_after", given.get("last_inform_after")),
        manufacturer=given.get("manufacturer"),
        product_class=given.get("product_class"),
        software_version=given.get("software_version"),
    )


def _page(given: dict[str, str]) -> Page:
    sort = _sort(given.get("sort", "id"))
    limit = _integer("limit", given.get("limit"), DEFAULT_LIMIT, (1, MAX_LIMIT))
    offset = _integer("offset", given.get("offset"), 0, (0, None))
    after = decode_cursor(given["cursor"]) if "cursor" in given else None
    if after is not None and after.sort != sort:
        raise DeviceQueryError(f"the cursor belongs to sort={after.sort}, not sort={sort}")
    if after is not None and offset:
        raise DeviceQueryError("give cursor or offset, not both")
    return Page(sort=sort, limit=limit, offset=offset, after=after)


def _sort(value: str) -> Sort:
    if value not in SORTS:
        raise DeviceQueryError(f"unknown sort {value!r}; sorts: {', '.join(SORTS)}")
    return cast(Sort, value)


def _boolean(key: str, value: str | None) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise DeviceQueryError(f"{key} must be true or false, not {value!r}")
    return value == "true"


def _instant(key: str, value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time; without an offset it is UTC."""
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        hint = " (write '+' as %2B in a URL)" if " " in value else ""
        raise DeviceQueryError(f"{key}: {value!r} is not an ISO 8601 date-time{hint}") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _integer(key: str, value: str | None, default: int, bounds: tuple[int, int | None]) -> int:
    least, most = bounds
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or int(value) < least:
        raise DeviceQueryError(f"{key} must be an integer of at least {least}, not {value!r}")
    if most is not None and int(value) > most:
        raise DeviceQueryError(f"{key} must be at most {most}, not {value}")
    return int(value)


def cursor_after(sort: Sort, row: SortedRow) -> Cursor:
    """The cursor of the page that follows this device in this sort."""
    keys: dict[str, str | None] = {
        "id": None,
        "last_inform": row.last_inform.isoformat(),
        "-last_inform": row.last_inform.isoformat(),
        "software_version": row.software_version or "",
        "manufacturer": row.manufacturer,
    }
    return Cursor(sort, keys[sort], row.id)


def encode_cursor(cursor: Cursor) -> str:
    """The cursor as an opaque URL-safe token."""
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).rstrip(b"=").decode()


def decode_cursor(token: str) -> Cursor:
    """The cursor an `encode_cursor` token holds, or `DeviceQueryError`."""
    if not token or len(token) > _MAX_CURSOR:
        raise DeviceQueryError("cursor: not a cursor from X-Next-Cursor")
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        cursor = msgspec.json.decode(raw, type=Cursor)
    except (ValueError, msgspec.DecodeError):
        raise DeviceQueryError("cursor: not a cursor from X-Next-Cursor") from None
    _check_key(cursor)
    return cursor


def _check_key(cursor: Cursor) -> None:
    """The key must be what the sort orders by: none for id, a date-time for last_inform."""
    if cursor.sort == "id":
        valid = cursor.key is None
    elif cursor.sort in ("last_inform", "-last_inform"):
        valid = cursor.key is not None and _is_instant(cursor.key)
    else:
        valid = cursor.key is not None
    if not valid or not cursor.id:
        raise DeviceQueryError("cursor: not a cursor from X-Next-Cursor")


def _is_instant(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False
