"""Operating the ACS: readiness, a stop that lets open CWMP sessions finish, JSON logs."""

from __future__ import annotations

import json
import signal
import time

import httpx
import psycopg

from acs.adapters.migrations import migration_files
from tests.conftest import AcsServer, Databases
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

XML = {"Content-Type": "text/xml; charset=utf-8"}
NAME = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"


def ready(server: AcsServer) -> httpx.Response:
    """`/ready`, asked again when the connection was closed unanswered: a worker that has
    no session left stops at once, and a connection it had accepted but not yet read is
    closed with it (a load balancer retries such a request on another worker)."""
    for _ in range(3):
        try:
            return httpx.get(f"{server.url}/ready", timeout=10)
        except httpx.RemoteProtocolError:
            continue
    return httpx.get(f"{server.url}/ready", timeout=10)


def execute(server: AcsServer, statement: str) -> None:
    with psycopg.connect(server.database_url, autocommit=True) as conn:
        conn.execute(statement.encode())


def queue_get_params(server: AcsServer, cpe: SimulatedCpe) -> str:
    path = "/api/devices/" + cpe.device_id.replace("%", "%25") + "/tasks"
    reply = httpx.post(
        f"{server.url}{path}?connection_request=false",
        json={"type": "get_params", "parameters": {"names": [NAME]}},
        headers=server.auth_headers,
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def exit_status(server: AcsServer, timeout: float) -> tuple[int, float]:
    assert server.process is not None
    started = time.monotonic()
    code = server.process.wait(timeout=timeout)
    return code, time.monotonic() - started


def test_ready_answers_200_with_its_checks_on_a_healthy_server(acs_server: AcsServer) -> None:
    reply = ready(acs_server)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ready"
    assert body["database"] == "ok" and body["migrations"] == "ok"
    assert 0 <= body["projection_lag_seconds"] < 30
    assert "retry-after" not in reply.headers


def test_ready_answers_503_while_a_migration_is_pending(acs_server: AcsServer) -> None:
    last, path = migration_files()[-1]
    execute(acs_server, f"DELETE FROM schema_migrations WHERE version = {last}")
    reply = ready(acs_server)
    assert reply.status_code == 503 and reply.headers["retry-after"]
    body = reply.json()
    assert body["status"] == "unavailable" and body["failed"] == "migrations"
    assert path.name in body["detail"] and body["database"] == "ok"
    execute(
        acs_server,
        f"INSERT INTO schema_migrations (version, name) VALUES ({last}, '{path.name}')",
    )
    assert ready(acs_server).status_code == 200


async def test_ready_answers_503_when_the_read_model_lags_past_the_bound(
    database_url: str,
) -> None:
    server = AcsServer(
        database_url, env={"ACS_RUN_PROJECTIONS": "false", "ACS_READY_MAX_LAG": "60"}
    ).start()
    try:
        await SimulatedCpe(f"{server.url}/cwmp", serial="LAGGING").run_session()
        execute(server, "UPDATE projection_tracking SET applied_at = now() - interval '5 min'")
        reply = ready(server)
        assert reply.status_code == 503 and reply.headers["retry-after"]
        body = reply.json()
        assert body["failed"] == "projection_lag" and body["projection_lag_seconds"] >= 300
        assert "more than 60 s" in body["detail"]
    finally:
        server.stop()


def test_ready_answers_503_quickly_when_the_database_is_gone(
    databases: Databases, database_url: str
) -> None:
    server = AcsServer(database_url).start()
    try:
        assert ready(server).status_code == 200
        name = psycopg.conninfo.conninfo_to_dict(database_url)["dbname"]
        with psycopg.connect(databases.server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)'.encode())
        started = time.monotonic()
        reply = ready(server)
        assert time.monotonic() - started < 5
        assert reply.status_code == 503 and reply.json()["failed"] == "database"
    finally:
        server.stop()


async def test_sigterm_lets_an_open_session_finish_and_refuses_new_ones(
    database_url: str,
) -> None:
    server = AcsServer(database_url, workers=2, env={"ACS_SHUTDOWN_TIMEOUT": "20"}).start()
    cpe = SimulatedCpe(f"{server.url}/cwmp", serial="IN-SESSION")
    await cpe.run_session()
    task_id = queue_get_params(server, cpe)
    late = SimulatedCpe(f"{server.url}/cwmp", serial="TOO-LATE")
    with httpx.Client(timeout=10, headers=XML) as session:
        opened = session.post(f"{server.url}/cwmp", content=cpe.build_inform(["2 PERIODIC"]))
        assert opened.status_code == 200 and "acs_session" in session.cookies
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        eventually(lambda: ready(server).json() == {"status": "draining"})

        refused = httpx.post(f"{server.url}/cwmp", content=late.build_inform(["0 BOOTSTRAP"]),
                             headers=XML, timeout=10)  # fmt: skip
        assert refused.status_code == 503 and refused.headers["retry-after"]
        assert ready(server).status_code == 503

        rpc = session.post(f"{server.url}/cwmp", content=b"")
        assert rpc.status_code == 200 and b"GetParameterValues" in rpc.content
        done = session.post(f"{server.url}/cwmp", content=cpe.answer(rpc.content))
        assert done.status_code == 204
    code, waited = exit_status(server, timeout=25)
    assert code == 0 and waited < 20

    again = AcsServer(database_url).start()
    try:
        url = f"{again.url}/api/tasks/{task_id}"
        task = eventually(
            lambda: (
                (r := httpx.get(url, headers=again.auth_headers)).status_code == 200
                and r.json()["status"] == "done"
                and r
            )
        )
        assert task.json()["status"] == "done"
        assert task.json()["result"]["values"][NAME]
        unknown = late.device_id.replace("%", "%25")
        devices = httpx.get(f"{again.url}/api/devices/{unknown}", headers=again.auth_headers)
        assert devices.status_code == 404, "the refused Inform stored nothing"
    finally:
        again.stop()


def test_sigterm_without_an_open_session_exits_promptly(acs_server: AcsServer) -> None:
    assert acs_server.process is not None
    acs_server.process.send_signal(signal.SIGTERM)
    code, waited = exit_status(acs_server, timeout=15)
    assert code == 0 and waited < 5


async def test_json_logs_are_one_object_per_line_with_the_session_ids(
    database_url: str,
) -> None:
    env = {"ACS_LOG_FORMAT": "json", "ACS_LOG_LEVEL": "INFO"}
    server = AcsServer(database_url, env=env)
    start = server.log.stat().st_size if server.log.exists() else 0
    server.start()
    cpe = SimulatedCpe(f"{server.url}/cwmp", serial="JSON-LOGS")
    try:
        await cpe.run_session()
        task_id = queue_get_params(server, cpe)
        await cpe.run_session()
    finally:
        server.stop()
    text = server.log.read_bytes()[start:].decode()
    lines = [json.loads(line) for line in text.splitlines()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert any(line["message"].startswith("serving on") for line in lines)
    ours = [line for line in lines if line.get("device_id") == cpe.device_id]
    sessions = [line for line in ours if line["message"].startswith("session ")]
    assert [" started: " in line["message"] for line in sessions] == [True, False, True, False]
    assert all(line["session_id"] in line["message"] for line in sessions)
    assert sessions[0]["session_id"] == sessions[1]["session_id"] != sessions[2]["session_id"]
    assert "0 BOOTSTRAP" in sessions[0]["message"]
    assert sessions[3]["message"].endswith("ended after 1 RPC(s)"), task_id
