"""Every bad input gets a clear error, stores nothing, and the server keeps serving."""

from __future__ import annotations

import asyncio
import gzip
import time
from pathlib import Path

import httpx
import psycopg
from lxml import etree

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cwmp"


def event_count(server: AcsServer) -> int:
    with psycopg.connect(server.database_url) as conn:
        row = conn.execute("SELECT count(*) FROM device_events").fetchone()
    assert row is not None
    return int(row[0])


def fault_code(body: bytes) -> int:
    root = etree.fromstring(body)
    codes = root.xpath("//*[local-name()='FaultCode']/text()")
    return int(codes[0])


def test_unknown_device_and_task_are_404_with_a_json_body(api: httpx.Client) -> None:
    for path in (
        "/api/devices/nope",
        "/api/devices/nope/parameters",
        "/api/devices/nope/tasks",
        "/api/tasks/nope",
    ):
        reply = api.get(path)
        assert reply.status_code == 404, path
        assert "nope" in reply.json()["detail"]
    reply = api.post("/api/devices/nope/reboot")
    assert reply.status_code == 404 and reply.json()["detail"] == "no device nope"


async def test_malformed_task_bodies_are_400_saying_what_is_wrong(
    acs_server: AcsServer, api: httpx.Client
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="BAD-TASK")
    await cpe.run_session()
    path = "/api/devices/" + cpe.device_id.replace("%", "%25") + "/tasks"
    eventually(lambda: api.get(path).status_code == 200)
    before = event_count(acs_server)
    cases = [
        ({"type": "explode"}, "unknown task type"),
        ({"type": "get_params", "parameters": {"names": "x"}}, "invalid parameters"),
        ({"type": "set_params", "parameters": {"values": {}}}, "set_params needs values"),
        ({"parameters": {}}, "type"),
        ({"type": "reboot", "extra": 1}, "extra"),
    ]
    for body, words in cases:
        reply = api.post(path, json=body)
        assert reply.status_code == 400, body
        assert words in str(reply.json()), (body, reply.json())
    reply = api.post(path, content=b"{not json", headers={"content-type": "application/json"})
    assert reply.status_code == 400
    assert event_count(acs_server) == before


def test_malformed_xml_gets_a_soap_fault_and_stores_nothing(acs_server: AcsServer) -> None:
    for body in (b"<not-closed>", b"<?xml version='1.0'?><a/>", b"\x00\xff garbage"):
        reply = httpx.post(f"{acs_server.url}/cwmp", content=body)
        assert reply.status_code == 400
        assert fault_code(reply.content) in (8000, 8003)
    assert event_count(acs_server) == 0


def test_a_request_before_any_inform_is_refused(acs_server: AcsServer) -> None:
    reply = httpx.post(f"{acs_server.url}/cwmp", content=b"")
    assert reply.status_code == 400 and fault_code(reply.content) == 8001
    gpv = (FIXTURES / "genieacs-sim_cwmp10_gpvresponse.xml").read_bytes()
    reply = httpx.post(f"{acs_server.url}/cwmp", content=gpv)
    assert reply.status_code == 400 and fault_code(reply.content) == 8001
    assert event_count(acs_server) == 0


def test_a_second_inform_in_a_session_is_refused_and_the_session_goes_on(
    acs_server: AcsServer,
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="TWICE")
    with httpx.Client(trust_env=False) as client:
        first = client.post(f"{acs_server.url}/cwmp", content=cpe.build_inform(["0 BOOTSTRAP"]))
        assert first.status_code == 200
        again = client.post(f"{acs_server.url}/cwmp", content=cpe.build_inform(["1 BOOT"]))
        assert again.status_code == 400 and fault_code(again.content) == 8001
        assert client.post(f"{acs_server.url}/cwmp", content=b"").status_code == 204
    assert event_count(acs_server) == 1


def test_a_second_session_of_the_same_device_waits_for_the_first(acs_server: AcsServer) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="DOUBLE")
    inform = cpe.build_inform(["2 PERIODIC"])
    with httpx.Client(trust_env=False) as one, httpx.Client(trust_env=False) as two:
        assert one.post(f"{acs_server.url}/cwmp", content=inform).status_code == 200
        busy = two.post(f"{acs_server.url}/cwmp", content=inform)
        assert busy.status_code == 503 and busy.headers["retry-after"]
        assert one.post(f"{acs_server.url}/cwmp", content=b"").status_code == 204
        assert two.post(f"{acs_server.url}/cwmp", content=inform).status_code == 200
    assert event_count(acs_server) == 2


def test_the_openapi_document_describes_the_api(api: httpx.Client) -> None:
    document = api.get("/schema/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/devices",
        "/api/devices/{device_id}",
        "/api/devices/{device_id}/tasks",
        "/api/devices/{device_id}/parameters",
        "/api/devices/{device_id}/reboot",
        "/api/devices/{device_id}/factory-reset",
        "/api/tasks/{task_id}",
        "/api/stats",
    ):
        assert path in paths, path


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&lol3;
</soap:Body></soap:Envelope>"""

XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY f SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><cwmp:Inform><DeviceId>
<Manufacturer>&f;</Manufacturer><OUI>001122</OUI><ProductClass>X</ProductClass>
<SerialNumber>1</SerialNumber></DeviceId></cwmp:Inform></soap:Body></soap:Envelope>"""


def test_hostile_xml_is_refused_without_leaking_anything(acs_server: AcsServer) -> None:
    for body in (BILLION_LAUGHS, XXE):
        reply = httpx.post(f"{acs_server.url}/cwmp", content=body)
        assert reply.status_code == 400
        assert fault_code(reply.content) == 8003
        assert b"root:" not in reply.content and b"Traceback" not in reply.content
    assert event_count(acs_server) == 0


def test_a_body_over_the_limit_is_413_also_when_compressed(acs_server: AcsServer) -> None:
    big = b"<x>" + b"a" * (5 * 1024 * 1024) + b"</x>"
    assert httpx.post(f"{acs_server.url}/cwmp", content=big).status_code == 413
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    reply = httpx.post(f"{acs_server.url}/cwmp", content=bomb, headers={"content-encoding": "gzip"})
    assert reply.status_code == 413
    assert (
        httpx.get(f"{acs_server.url}/api/stats", headers=acs_server.auth_headers).status_code == 200
    )


def test_unknown_methods_and_kicked_get_fault_8000(acs_server: AcsServer) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="KICK")
    kicked = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><cwmp:Kicked><Command>c'
        b"</Command><Referer>r</Referer><Arg>a</Arg><Next>n</Next></cwmp:Kicked>"
        b"</soap:Body></soap:Envelope>"
    )
    unknown = kicked.replace(b"Kicked", b"Frobnicate")
    with httpx.Client(trust_env=False) as client:
        assert (
            client.post(
                f"{acs_server.url}/cwmp", content=cpe.build_inform(["0 BOOTSTRAP"])
            ).status_code
            == 200
        )
        for body in (kicked, unknown):
            reply = client.post(f"{acs_server.url}/cwmp", content=body)
            assert reply.status_code == 400
            assert fault_code(reply.content) == 8000
        assert client.post(f"{acs_server.url}/cwmp", content=b"").status_code == 204
    assert event_count(acs_server) == 1


async def test_a_flood_of_bad_requests_does_not_stop_good_cpes(acs_server: AcsServer) -> None:
    bad = [BILLION_LAUGHS, XXE, b"<broken", b"\xff\xfe\x00"] * 10

    async def flood(client: httpx.AsyncClient) -> None:
        for body in bad:
            reply = await client.post(f"{acs_server.url}/cwmp", content=body)
            assert reply.status_code == 400

    cpes = [SimulatedCpe(f"{acs_server.url}/cwmp", serial=f"GOOD{n}") for n in range(5)]
    async with httpx.AsyncClient(trust_env=False) as client:
        started = time.monotonic()
        results = await asyncio.gather(
            *(flood(client) for _ in range(4)), *(c.run_session() for c in cpes)
        )
        elapsed = time.monotonic() - started
    assert all(log.inform_response_ok for log in results[4:])
    assert elapsed < 20
    assert event_count(acs_server) == 5
