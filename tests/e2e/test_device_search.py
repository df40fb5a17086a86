"""Search and tags through the real server: filters, pagination headers, tag events."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import psycopg

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"


def url_of(device_id: str) -> str:
    return f"/api/devices/{quote(device_id, safe='')}"


async def informed_fleet(server: AcsServer, api: httpx.Client) -> list[SimulatedCpe]:
    """Three CPEs on two firmware versions, each after its bootstrap session."""
    fleet = [
        SimulatedCpe(f"{server.url}/cwmp", serial=serial, overrides={SW: version})
        for serial, version in (("SRCH-1", "V1.0.1"), ("SRCH-2", "V1.0.2"), ("SRCH-3", "V2.0"))
    ]
    for cpe in fleet:
        await cpe.run_session()
    eventually(lambda: api.get("/api/devices").headers.get("x-total-count") == "3")
    return fleet


def found(api: httpx.Client, **params: str | list[str]) -> list[str]:
    answer = api.get("/api/devices", params=params)
    assert answer.status_code == 200, answer.text
    return [d["id"] for d in answer.json()]


async def test_tags_are_searchable_at_once_and_recorded_with_their_actor(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    one, two, three = await informed_fleet(acs_server, api)
    alice = {"X-ACS-Actor": "alice"}
    for cpe in (one, two):
        assert (
            api.put(f"{url_of(cpe.device_id)}/tags/region:north", headers=alice).status_code == 204
        )
    assert found(api, tag="region:north") == [one.device_id, two.device_id]
    assert api.put(f"{url_of(one.device_id)}/tags/region:north").status_code == 204
    answer = api.delete(
        f"{url_of(two.device_id)}/tags/region:north", headers={"X-ACS-Actor": "bob"}
    )
    assert answer.status_code == 204
    assert api.delete(f"{url_of(two.device_id)}/tags/region:north").status_code == 204
    assert found(api, tag="region:north") == [one.device_id]
    assert api.get(url_of(one.device_id)).json()["tags"] == ["region:north"]
    assert recorded_tags(acs_server) == [
        ("DeviceTagged.v1", "region:north", "key:bootstrap for alice"),
        ("DeviceTagged.v1", "region:north", "key:bootstrap for alice"),
        ("DeviceUntagged.v1", "region:north", "key:bootstrap for bob"),
    ]
    assert three.device_id not in found(api, tag="region:north")


def recorded_tags(server: AcsServer) -> list[tuple[str, str, str]]:
    """The tag events in the event store, in log order: topic, tag and actor."""
    with psycopg.connect(server.database_url) as conn:
        rows = conn.execute(
            "SELECT topic, state FROM device_events WHERE topic LIKE 'Device%%agged.v1' "
            "ORDER BY notification_id"
        ).fetchall()
    return [(topic, json.loads(state)["tag"], json.loads(state)["actor"]) for topic, state in rows]


async def test_tag_errors_are_json(acs_server: AcsServer, api: httpx.Client) -> None:
    (one, *_) = await informed_fleet(acs_server, api)
    unknown = api.put(f"{url_of('202BC1-BM632w-NOPE')}/tags/lab")
    assert unknown.status_code == 404
    assert unknown.json() == {"status_code": 404, "detail": "no device 202BC1-BM632w-NOPE"}
    bad = api.put(f"{url_of(one.device_id)}/tags/{quote('no spaces')}")
    assert bad.status_code == 400
    assert "invalid tag 'no spaces'" in bad.json()["detail"]
    assert api.delete(f"{url_of(one.device_id)}/tags/{'x' * 65}").status_code == 400


async def test_filters_by_parameter_value_and_identity(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    one, two, three = await informed_fleet(acs_server, api)
    assert found(api, **{f"param.{SW}": "V1.0.2"}) == [two.device_id]
    assert found(api, **{f"param.{SW}": "~V1."}) == [one.device_id, two.device_id]
    assert found(api, software_version="V2.0", online="true") == [three.device_id]
    assert found(api, manufacturer=one.manufacturer, sort="software_version", limit="2") == [
        one.device_id,
        two.device_id,
    ]
    interval = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
    assert len(found(api, **{f"param.{interval}": ">0"})) == 3


async def test_pages_follow_the_link_header_with_the_total(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    fleet = await informed_fleet(acs_server, api)
    seen, url = [], f"/api/devices?{httpx.QueryParams({f'param.{SW}': '~V', 'limit': '2'})}"
    while url:
        answer = api.get(url)
        assert answer.headers["x-total-count"] == "3"
        seen += [d["id"] for d in answer.json()]
        next_link = answer.links.get("next")
        assert (next_link is None) == ("x-next-cursor" not in answer.headers)
        url = next_link["url"] if next_link else ""
    assert seen == sorted(cpe.device_id for cpe in fleet)


async def test_a_malformed_search_is_a_json_400(acs_server: AcsServer, api: httpx.Client) -> None:
    for params, says in (
        ({f"param.{SW}": ">abc"}, "'abc' is not a number"),
        ({"last_inform_after": "yesterday"}, "not an ISO 8601 date-time"),
        ({"sort": "serial"}, "unknown sort 'serial'"),
        ({"cursor": "garbage!"}, "not a cursor from X-Next-Cursor"),
        ({"limit": "0"}, "limit must be an integer of at least 1"),
    ):
        answer = api.get("/api/devices", params=params)
        assert answer.status_code == 400
        assert answer.json()["status_code"] == 400
        assert says in answer.json()["detail"]


def test_the_openapi_document_describes_the_pagination_headers(api: httpx.Client) -> None:
    operation = api.get("/schema/openapi.json").json()["paths"]["/api/devices"]["get"]
    headers = operation["responses"]["200"]["headers"]
    assert {"X-Total-Count", "X-Next-Cursor", "Link"} <= set(headers)
    names = {p["name"] for p in operation["parameters"]}
    assert {"tag", "online", "sort", "limit", "cursor", "offset", "manufacturer"} <= names
