"""The device search's query string and cursors, parsed without a database."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from acs.projections.device_filter import (
    Cursor,
    DeviceFilter,
    DeviceQuery,
    DeviceQueryError,
    Page,
    ParamFilter,
    cursor_after,
    decode_cursor,
    encode_cursor,
    parse_device_query,
)
from acs.projections.queries import DeviceSummary

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"


def parsed(query: str) -> DeviceQuery:
    """The query string as the API receives it (split, not yet percent-decoded)."""
    items = [tuple(pair.split("=", 1)) for pair in query.split("&") if pair]
    return parse_device_query([(k, v) for k, v in items])


def device(**changes: object) -> DeviceSummary:
    fields: dict[str, object] = {
        "id": "202BC1-BM632w-A",
        "manufacturer": "Huawei",
        "oui": "202BC1",
        "product_class": "BM632w",
        "serial_number": "A",
        "online": True,
        "last_inform": datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        "software_version": "V1",
        "hardware_version": None,
        "ip_address": None,
        "tags": [],
    }
    return DeviceSummary(**{**fields, **changes})  # type: ignore[arg-type]


def test_no_query_is_every_device_by_id_a_hundred_at_a_time() -> None:
    assert parsed("") == DeviceQuery(DeviceFilter(), Page(sort="id", limit=100, offset=0))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("V1.2", ParamFilter(SW, "equals", "V1.2")),
        ("~V1.", ParamFilter(SW, "prefix", "V1.")),
        (">10", ParamFilter(SW, "above", "10")),
        ("<-2.5", ParamFilter(SW, "below", "-2.5")),
        ("=~literal", ParamFilter(SW, "equals", "~literal")),
        ("==x", ParamFilter(SW, "equals", "=x")),
        ("", ParamFilter(SW, "equals", "")),
        ("~", ParamFilter(SW, "prefix", "")),
    ],
)
def test_a_param_filter_compares_exactly_by_prefix_or_as_a_number(
    value: str, expected: ParamFilter
) -> None:
    assert parsed(f"param.{SW}={value}").filter.params == (expected,)


def test_several_param_filters_all_apply_even_on_one_name() -> None:
    query = parsed(f"param.{SW}=>1&param.{SW}=<5&param.A.B=x")
    assert query.filter.params == (
        ParamFilter(SW, "above", "1"),
        ParamFilter(SW, "below", "5"),
        ParamFilter("A.B", "equals", "x"),
    )


def test_every_other_filter_and_the_page_are_typed() -> None:
    query = parsed(
        "tag=lab&tag=vip&tag=lab&online=false&last_inform_before=2025-01-02T00:00:00Z"
        "&last_inform_after=2025-01-01&manufacturer=Huawei&product_class=BM632w"
        "&software_version=V1&sort=-last_inform&limit=1000&offset=5"
    )
    assert query.filter == DeviceFilter(
        tags=("lab", "vip"),
        online=False,
        last_inform_before=datetime(2025, 1, 2, tzinfo=UTC),
        last_inform_after=datetime(2025, 1, 1, tzinfo=UTC),
        manufacturer="Huawei",
        product_class="BM632w",
        software_version="V1",
    )
    assert query.page == Page(sort="-last_inform", limit=1000, offset=5)


def test_a_date_time_keeps_its_offset_and_defaults_to_utc() -> None:
    query = parsed("last_inform_after=2025-01-01T10:00:00+02:00")
    assert query.filter.last_inform_after == datetime(
        2025, 1, 1, 10, tzinfo=timezone(timedelta(hours=2))
    )
    assert parsed("last_inform_before=2025-01-01T10:00").filter.last_inform_before == datetime(
        2025, 1, 1, 10, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (f"param.{SW}=>ten", "'ten' is not a number"),
        (f"param.{SW}=<1e3", "'1e3' is not a number"),
        (f"param.{SW}=>", "'' is not a number"),
        (f"param.{SW}=<1.", "'1.' is not a number"),
        ("param.=x", "param. needs a parameter name"),
        (f"param.{'x' * 257}=1", "param. needs a parameter name"),
        ("tag=no spaces", "tag: invalid tag 'no spaces'"),
        ("tag=", "tag: invalid tag ''"),
        (f"tag={'t' * 65}", "invalid tag"),
        ("online=yes", "online must be true or false, not 'yes'"),
        ("last_inform_before=yesterday", "last_inform_before: 'yesterday' is not an ISO 8601"),
        ("last_inform_after=2025-01-01T00:00:00 02:00", "write '+' as %2B"),
        ("sort=name", "unknown sort 'name'; sorts: id, last_inform, -last_inform"),
        ("limit=0", "limit must be an integer of at least 1, not '0'"),
        ("limit=1001", "limit must be at most 1000, not 1001"),
        ("limit=ten", "limit must be an integer of at least 1, not 'ten'"),
        ("limit=-1", "limit must be an integer of at least 1"),
        ("limit=²", "limit must be an integer"),
        ("offset=-1", "offset must be an integer of at least 0, not '-1'"),
        ("online=true&online=false", "online is given more than once"),
        ("tags=lab", "unknown query parameter 'tags'"),
        ("cursor=", "cursor: not a cursor from X-Next-Cursor"),
        ("cursor=%%%", "cursor: not a cursor from X-Next-Cursor"),
    ],
)
def test_a_malformed_query_says_what_is_wrong(query: str, says: str) -> None:
    with pytest.raises(DeviceQueryError) as raised:
        parsed(query)
    assert says in str(raised.value)


def test_a_cursor_round_trips_through_an_opaque_url_safe_token() -> None:
    for cursor in (
        Cursor("id", None, "202BC1-BM632w-SN%2D1"),
        Cursor("last_inform", "2025-01-02T03:04:05.678901+00:00", "x"),
        Cursor("manufacturer", "Huawei Technologies Co., Ltd", "x/y?z"),
        Cursor("software_version", "", "x"),
    ):
        token = encode_cursor(cursor)
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert decode_cursor(token) == cursor


def test_the_cursor_after_a_device_holds_its_sort_key_and_id() -> None:
    row = device(software_version=None)
    assert cursor_after("id", row) == Cursor("id", None, row.id)
    assert cursor_after("-last_inform", row).key == "2025-01-02T03:04:05.678901+00:00"
    assert cursor_after("software_version", row).key == ""
    assert cursor_after("manufacturer", row).key == "Huawei"


def test_a_cursor_continues_its_own_sort_only() -> None:
    token = encode_cursor(Cursor("manufacturer", "Huawei", "x"))
    assert parsed(f"sort=manufacturer&cursor={token}").page.after == Cursor(
        "manufacturer", "Huawei", "x"
    )
    with pytest.raises(DeviceQueryError, match="belongs to sort=manufacturer, not sort=id"):
        parsed(f"cursor={token}")
    with pytest.raises(DeviceQueryError, match="cursor or offset, not both"):
        parsed(f"sort=manufacturer&cursor={token}&offset=3")


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        "a",
        _token(b"not json"),
        _token(b'{"sort": "id"}'),
        _token(b'["id", null]'),
        _token(b'["id", null, "x", "extra"]'),
        _token(b'["name", null, "x"]'),
        _token(b'["id", "key", "x"]'),
        _token(b'["id", null, ""]'),
        _token(b'["last_inform", "yesterday", "x"]'),
        _token(b'["last_inform", "2025-01-01T00:00:00", "x"]'),
        _token(b'["manufacturer", null, "x"]'),
        _token(b'["manufacturer", 7, "x"]'),
        _token(b"\xff\xfe"),
        "A" * 5000,
    ],
)
def test_a_garbage_cursor_is_refused(token: str) -> None:
    with pytest.raises(DeviceQueryError, match="not a cursor from X-Next-Cursor"):
        decode_cursor(token)


def test_a_cursor_token_is_json_inside() -> None:
    token = encode_cursor(Cursor("id", None, "d"))
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert msgspec.json.decode(raw) == ["id", None, "d"]
