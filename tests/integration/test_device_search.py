"""Device search on real PostgreSQL: every filter, their combinations, sorting, cursor walks,
and tags projected from their events whatever the batching."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from acs.api.services import Services
from acs.domain.device_id import aggregate_id
from acs.projections.count_cache import TotalCache
from acs.projections.device_filter import Sort, parse_device_query
from acs.projections.queries import DevicePage, DeviceSummary
from tests.support.cpe import SimulatedCpe
from tests.support.driver import run_session

NOW = datetime.now(UTC)
"""When the fleet informed; every fleet device's online status holds for an hour after."""
SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
UPTIME = "InternetGatewayDevice.DeviceInfo.UpTime"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"

_INSERT_DEVICE = """INSERT INTO devices (id, aggregate_id, manufacturer, oui, product_class,
    serial_number, software_version, periodic_inform_interval, last_inform, first_seen, tags)
VALUES (%(id)s, %(aggregate_id)s, %(manufacturer)s, 'OUI', %(product_class)s, %(id)s,
    %(software_version)s, %(interval)s, %(last_inform)s, %(last_inform)s, %(tags)s)"""
_INSERT_PARAMETER = """INSERT INTO parameters (device_id, name, value, type, updated_at)
VALUES (%s, %s, %s, 'xsd:string', now())"""


def add_device(services: Services, device_id: str, **fields: Any) -> None:
    """A row of the read model as the projection would write it, with its parameters."""
    row = {
        "id": device_id,
        "aggregate_id": uuid.uuid4(),
        "manufacturer": "Huawei",
        "product_class": "BM632w",
        "software_version": None,
        "interval": 86400,
        "last_inform": NOW,
        "tags": [],
        **{k: v for k, v in fields.items() if k != "params"},
    }
    with services.pool.connection() as conn:
        conn.execute(_INSERT_DEVICE, row)
        for name, value in fields.get("params", {}).items():
            conn.execute(_INSERT_PARAMETER, (device_id, name, value))


def search(services: Services, query: str) -> DevicePage:
    items = [tuple(pair.split("=", 1)) for pair in query.split("&") if pair]
    return services.read.search_devices(parse_device_query([(k, v) for k, v in items]))


def ids(services: Services, query: str) -> list[str]:
    page = search(services, query)
    assert page.total == len(page.devices), "one page holds every match here"
    return [d.id for d in page.devices]


@pytest.fixture
def fleet(services: Services) -> Services:
    """Six devices that differ in every searchable way."""
    hour = timedelta(hours=1)
    add_device(services, "a", software_version="V1.0.1", tags=["lab"],
               params={SW: "V1.0.1", UPTIME: "90", SSID: "home_1"})  # fmt: skip
    add_device(services, "b", software_version="V1.0.2", tags=["lab", "vip"],
               params={SW: "V1.0.2", UPTIME: "1500.5", SSID: "home%2"})  # fmt: skip
    add_device(services, "c", software_version="V2.0", manufacturer="ZTE", product_class="F660",
               params={SW: "V2.0", UPTIME: "-3", SSID: "homeX"})  # fmt: skip
    add_device(services, "d", manufacturer="ZTE", last_inform=NOW - 3 * hour, tags=["vip"],
               interval=300, params={UPTIME: "n/a", SSID: "~tilde"})  # fmt: skip
    add_device(services, "e", software_version="V1.0.1", last_inform=NOW - 47 * hour,
               params={SW: "V1.0.1", UPTIME: "12345678901234567890"})  # fmt: skip
    add_device(services, "f", software_version="", last_inform=NOW - 4 * hour, interval=None,
               params={SW: "", UPTIME: "1e5"})  # fmt: skip
    return services


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"param.{SW}=V1.0.1", ["a", "e"]),
        (f"param.{SW}=", ["f"]),
        (f"param.{SW}=~V1.", ["a", "b", "e"]),
        (f"param.{SW}=~", ["a", "b", "c", "e", "f"]),
        (f"param.{SSID}=~home_", ["a"]),
        (f"param.{SSID}=~home%", ["b"]),
        (f"param.{SSID}==~tilde", ["d"]),
        (f"param.{UPTIME}=>100", ["b", "e"]),
        (f"param.{UPTIME}=<0", ["c"]),
        (f"param.{UPTIME}=>-3.5", ["a", "b", "c", "e"]),
        (f"param.{UPTIME}=>0&param.{UPTIME}=<2000", ["a", "b"]),
        (f"param.{UPTIME}=>1500.5", ["e"]),
        (f"param.{UPTIME}=n/a", ["d"]),
        ("param.No.Such.Parameter=>1", []),
    ],
)
def test_param_filters_match_exactly_by_prefix_or_by_number(
    fleet: Services, query: str, expected: list[str]
) -> None:
    assert ids(fleet, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tag=lab", ["a", "b"]),
        ("tag=lab&tag=vip", ["b"]),
        ("tag=none", []),
        ("online=true", ["a", "b", "c", "e"]),
        ("online=false", ["d", "f"]),
        pytest.param(
            f"last_inform_before={(NOW - timedelta(hours=1)).isoformat()}",
            ["d", "e", "f"],
            id="last_inform_before=1h-ago",
        ),
        pytest.param(
            f"last_inform_after={(NOW - timedelta(hours=3.5)).isoformat()}",
            ["a", "b", "c", "d"],
            id="last_inform_after=3.5h-ago",
        ),
        ("manufacturer=ZTE", ["c", "d"]),
        ("product_class=F660", ["c"]),
        ("software_version=V1.0.1", ["a", "e"]),
        ("software_version=", ["d", "f"]),
    ],
)
def test_device_filters_match_tags_status_time_and_identity(
    fleet: Services, query: str, expected: list[str]
) -> None:
    assert ids(fleet, query) == expected


def test_filters_combine_with_and(fleet: Services) -> None:
    assert ids(fleet, f"param.{SW}=~V1.&online=true&tag=lab") == ["a", "b"]
    assert ids(fleet, f"param.{SW}=~V1.&param.{UPTIME}=>100&tag=lab") == ["b"]
    assert ids(fleet, "manufacturer=ZTE&online=false&tag=vip") == ["d"]
    assert ids(fleet, "manufacturer=ZTE&product_class=BM632w&software_version=") == ["d"]


def test_the_online_filter_agrees_with_the_online_column(fleet: Services) -> None:
    every = search(fleet, "").devices
    assert ids(fleet, "online=true") == [d.id for d in every if d.online]
    assert fleet.read.stats().online_devices == 4


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("id", ["a", "b", "c", "d", "e", "f"]),
        ("last_inform", ["e", "f", "d", "a", "b", "c"]),
        ("-last_inform", ["c", "b", "a", "d", "f", "e"]),
        ("software_version", ["d", "f", "a", "e", "b", "c"]),
        ("manufacturer", ["a", "b", "e", "f", "c", "d"]),
    ],
)
def test_sorting_breaks_ties_by_id(fleet: Services, sort: str, expected: list[str]) -> None:
    assert ids(fleet, f"sort={sort}") == expected


def big_fleet(services: Services, size: int = 250) -> list[DeviceSummary]:
    """Devices with many ties in every sort key, and some without a software version."""
    for n in range(size):
        add_device(
            services,
            f"dev-{(n * 7919) % size:04d}",
            manufacturer=("Huawei", "ZTE", "Nokia")[n % 3],
            software_version=(None, "V1", "V2", "V10")[n % 4],
            last_inform=NOW - timedelta(seconds=n % 40),
            tags=["even"] if n % 2 == 0 else [],
            params={SW: f"V{n % 4}", UPTIME: str(n)},
        )
    return services.read.devices(1000, 0)


SORT_KEYS: dict[str, Callable[[DeviceSummary], Any]] = {
    "id": lambda d: d.id,
    "last_inform": lambda d: (d.last_inform, d.id),
    "software_version": lambda d: (d.software_version or "", d.id),
    "manufacturer": lambda d: (d.manufacturer, d.id),
}


def walk(services: Services, query: str) -> tuple[list[str], list[int]]:
    """Every page of a search by following its cursors; the ids and each page's total."""
    found, totals, cursor = [], [], ""
    for _ in range(100):
        page = search(services, query + cursor)
        found += [d.id for d in page.devices]
        totals.append(page.total)
        if page.next_cursor is None:
            return found, totals
        cursor = f"&cursor={page.next_cursor}"
    raise AssertionError("the cursor walk never ended")


@pytest.mark.parametrize("sort", ["id", "last_inform", "-last_inform", "software_version",
                                  "manufacturer"])  # fmt: skip
def test_a_cursor_walk_returns_every_device_once_in_order(services: Services, sort: Sort) -> None:
    devices = big_fleet(services)
    key = SORT_KEYS[sort.removeprefix("-")]
    expected = [d.id for d in sorted(devices, key=key, reverse=sort.startswith("-"))]
    found, totals = walk(services, f"sort={sort}&limit=100")
    assert found == expected
    assert len(found) == len(set(found)) == 250
    assert totals == [250, 250, 250]


def test_a_filtered_cursor_walk_counts_and_returns_only_matches(services: Services) -> None:
    big_fleet(services)
    found, totals = walk(services, f"tag=even&param.{UPTIME}=>19&limit=30")
    assert found == sorted(f"dev-{(n * 7919) % 250:04d}" for n in range(20, 250, 2))
    assert totals == [115] * 4


def test_offset_pages_by_id_as_before(services: Services) -> None:
    devices = big_fleet(services)
    page = search(services, "offset=240&limit=100")
    assert [d.id for d in page.devices] == sorted(d.id for d in devices)[240:]
    assert (page.total, page.next_cursor) == (250, None)
    assert search(services, "offset=100&limit=100").next_cursor is not None


def test_tags_are_projected_from_their_events_whatever_the_batching(services: Services) -> None:
    cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial="TAGS")
    run_session(services.cwmp, cpe)
    for command, tag in [("tag", "b"), ("tag", "a"), ("untag", "b"), ("tag", "c"),
                         ("tag", "b"), ("untag", "a"), ("untag", "c"), ("tag", "a")]:  # fmt: skip
        getattr(services.commands, command)(cpe.device_id, tag, "tester")
    state = services.store.load(aggregate_id(cpe.device_id))
    assert state is not None and state.tags == ("a", "b")
    for batch in (1, 2, 3, 5, 1000):
        services.projector.rebuild(batch=batch)
        assert ids(services, "tag=a&tag=b") == [cpe.device_id], f"batches of {batch}"
        assert search(services, "").devices[0].tags == ["a", "b"]


def test_a_large_total_is_first_given_as_a_lower_bound_then_counted(services: Services) -> None:
    big_fleet(services)
    services.read.totals = TotalCache(large=100)
    query = parse_device_query([("tag", "even"), ("limit", "10")])

    first = services.read.search_devices(query, exact_total=False)
    assert (first.total, first.total_exact, len(first.devices)) == (100, False, 10)
    assert services.read.search_total(query) == 125
    again = services.read.search_devices(query, exact_total=False)
    assert (again.total, again.total_exact) == (125, True), "the count is kept a while"

    small = parse_device_query([("tag", "even"), (f"param.{UPTIME}", ">239")])
    page = services.read.search_devices(small, exact_total=False)
    assert (page.total, page.total_exact) == (len(page.devices), True) == (5, True)
