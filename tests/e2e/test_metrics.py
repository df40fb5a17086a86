"""`GET /metrics` end to end: after a few sessions and tasks, on a server with two workers,
the counters are exact and the HTTP histogram adds up both workers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AcsServer, free_port
from tests.e2e.conftest import eventually
from tests.support.cpe import CONNECTION_REQUEST_URL, SimulatedCpe

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def two_workers(database_url: str) -> Iterator[AcsServer]:
    server = AcsServer(database_url, workers=2).start()
    try:
        yield server
    finally:
        server.stop()


def scrape(api: httpx.Client) -> Samples:
    reply = api.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }


def finished(api: httpx.Client, task_id: str) -> bool:
    return api.get(f"/api/tasks/{task_id}").json()["status"] in ("done", "fault")


async def fleet(api: httpx.Client, server: AcsServer) -> list[dict[str, Any]]:
    """Two devices (connection requests unreachable), each running a task that succeeds and
    one that faults."""
    tasks = []
    for n in range(2):
        cpe = SimulatedCpe(f"{server.url}/cwmp", serial=f"MET{n}")
        cpe.set_value(CONNECTION_REQUEST_URL, f"http://127.0.0.1:{free_port()}/cr")
        await cpe.run_session()
        path = f"/api/devices/{quote(cpe.device_id, safe='')}"
        eventually(lambda p=path: api.get(p).status_code == 200)
        for names in ([SW], ["No.Such.Parameter"]):
            body = {"type": "get_params", "parameters": {"names": names}}
            reply = api.post(f"{path}/tasks", json=body)
            assert reply.status_code == 201, reply.text
            tasks.append(reply.json())
        await cpe.run_session()
    return tasks


async def test_metrics_count_sessions_informs_rpcs_faults_and_connection_requests(
    two_workers: AcsServer,
) -> None:
    with httpx.Client(
        base_url=two_workers.url, headers=two_workers.auth_headers, trust_env=False, timeout=10
    ) as api:
        tasks = await fleet(api, two_workers)
        for task in tasks:
            eventually(lambda t=task: finished(api, t["id"]))
        metrics = eventually(
            lambda: (m := scrape(api))[("acs_projection_lag_events", ())] == 0 and m
        )
    assert metrics[("acs_sessions_total", ())] == 4
    assert metrics[("acs_informs_total", (("event_code", "0 BOOTSTRAP"),))] == 2
    assert metrics[("acs_rpcs_total", (("method", "GetParameterValues"),))] == 4
    fault = ("acs_cpe_faults_total", (("code", "9005"), ("method", "GetParameterValues")))
    assert metrics[fault] == 2
    outcomes = [t["connection_request"] for t in tasks]
    assert outcomes.count("unreachable") >= 2
    for outcome in set(outcomes) - {"skipped"}:
        key = ("acs_connection_requests_total", (("outcome", outcome),))
        assert metrics[key] == outcomes.count(outcome)
    assert metrics[("acs_tasks_finished_total", (("status", "done"),))] == 2
    assert metrics[("acs_tasks_finished_total", (("status", "fault"),))] == 2
    assert metrics[("acs_tasks", (("status", "pending"),))] == 0
    assert metrics[("acs_devices", (("state", "online"),))] == 2
    assert metrics[("acs_devices", (("state", "offline"),))] == 0
    assert metrics[("acs_projection_lag_seconds", ())] >= 0


def fresh_get(server: AcsServer, path: str) -> int:
    """A GET on a new connection, which either worker may accept."""
    with httpx.Client(
        base_url=server.url, headers=server.auth_headers, trust_env=False, timeout=10
    ) as client:
        return client.get(path).status_code


def test_the_http_histogram_adds_up_every_worker(two_workers: AcsServer) -> None:
    stats = (("method", "GET"), ("route", "/api/stats"), ("status", "2xx"))
    missing = (("method", "GET"), ("route", "/api/tasks/{task_id}"), ("status", "4xx"))
    count = "acs_http_request_duration_seconds_count"
    with httpx.Client(
        base_url=two_workers.url, headers=two_workers.auth_headers, trust_env=False, timeout=10
    ) as api:
        before = scrape(api)
        for _ in range(40):
            assert fresh_get(two_workers, "/api/stats") == 200
            assert fresh_get(two_workers, "/api/tasks/none") == 404
        after = scrape(api)
    assert after[(count, stats)] - before[(count, stats)] == 40
    assert before.get((count, missing), 0) == 0 and after[(count, missing)] == 40
    infinity = ("acs_http_request_duration_seconds_bucket", (("le", "+Inf"), *stats))
    assert after[infinity] == after[(count, stats)]
