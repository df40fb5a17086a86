"""CPE authentication on /cwmp against the real server (TR-069 3.4.4): Digest and Basic
challenges, per-device, derived and shared credentials, replays, stale nonces, throttling,
bootstrap, and no password anywhere in what the ACS shows, logs or stores."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.conftest import ROOT, AcsServer, Databases
from tests.e2e.conftest import eventually
from tests.support.certificates import CertificateAuthority
from tests.support.cpe import CpeAuth, SimulatedCpe, SimulatorError
from tests.support.digest_auth import digest_response, parse_authorization

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
SHARED_USER, SHARED_PW = "fleet", "Sh4red-fleet-pw-7431"
RULE, FACTORY = "{oui}-{product_class}-{serial}", "factory-s3cret-5512"
OWN_PW = "0wn-device-pw-9921"
XML = {"Content-Type": 'text/xml; charset="utf-8"'}


def digest_env(**more: str) -> dict[str, str]:
    """Digest, with the shared fallback and the derived rule configured."""
    return {
        "ACS_CWMP_AUTH": "digest",
        "ACS_SECRET_KEY": "test-secret-key-1",
        "ACS_CWMP_USERNAME": SHARED_USER,
        "ACS_CWMP_PASSWORD": SHARED_PW,
        "ACS_CWMP_CREDENTIAL_RULE": RULE,
        "ACS_CWMP_CREDENTIAL_SECRET": FACTORY,
        "ACS_LOG_LEVEL": "INFO",
        **more,
    }


@contextmanager
def running(
    database_url: str, env: dict[str, str], **kwargs: object
) -> Iterator[tuple[AcsServer, httpx.Client]]:
    server = AcsServer(database_url, env=env, **kwargs).start()  # type: ignore[arg-type]
    try:
        with httpx.Client(
            base_url=server.url,
            headers=server.auth_headers,
            timeout=10,
            trust_env=False,
            verify=server.verify or True,
        ) as api:
            yield server, api
    finally:
        server.stop()


def cpe_for(server: AcsServer, serial: str, **kwargs: object) -> SimulatedCpe:
    return SimulatedCpe(f"{server.url}/cwmp", serial=serial, **kwargs)  # type: ignore[arg-type]


def path_of(cpe: SimulatedCpe) -> str:
    return f"/api/devices/{quote(cpe.device_id, safe='')}"


def registered(api: httpx.Client, cpe: SimulatedCpe) -> dict:
    return eventually(lambda: (r := api.get(path_of(cpe))).status_code == 200 and r.json())


def challenge_params(reply: httpx.Response) -> dict[str, str]:
    scheme, params = parse_authorization(reply.headers["www-authenticate"])
    assert scheme == "digest", reply.headers["www-authenticate"]
    return params


def digest_header(params: dict[str, str], username: str, password: str, nc: int = 1) -> str:
    nc_text = f"{nc:08x}"
    response = digest_response(
        username=username,
        password=password,
        realm=params["realm"],
        method="POST",
        uri="/cwmp",
        nonce=params["nonce"],
        nc=nc_text,
        cnonce="5eed",
        qop="auth",
    )
    return (
        f'Digest username="{username}", realm="{params["realm"]}", '
        f'nonce="{params["nonce"]}", uri="/cwmp", algorithm=MD5, qop=auth, nc={nc_text}, '
        f'cnonce="5eed", response="{response}", opaque="{params["opaque"]}"'
    )


async def refused(cpe: SimulatedCpe) -> str:
    """Run a session the ACS must refuse; the simulator's complaint."""
    with pytest.raises(SimulatorError) as error:
        await cpe.run_session()
    return str(error.value)


def event_count(api: httpx.Client, cpe: SimulatedCpe) -> int:
    return len(api.get(f"{path_of(cpe)}/events", params={"limit": 1000}).json())


async def test_cwmp_challenges_without_credentials_and_a_digest_cpe_completes_sessions(
    database_url: str,
) -> None:
    with running(database_url, digest_env()) as (server, api):
        cpe = cpe_for(server, "AUTH1", acs_username=SHARED_USER, acs_password=SHARED_PW)
        async with httpx.AsyncClient(trust_env=False) as raw:
            reply = await raw.post(
                f"{server.url}/cwmp", content=cpe.build_inform(["0 BOOTSTRAP"]), headers=XML
            )
            empty = await raw.post(f"{server.url}/cwmp", content=b"")
        assert reply.status_code == 401 and reply.content == b""
        assert "set-cookie" not in reply.headers
        params = challenge_params(reply)
        assert params["realm"] and params["nonce"] and params["opaque"]
        assert params["qop"] == "auth" and params["algorithm"] == "MD5"
        assert empty.status_code == 401 and "www-authenticate" in empty.headers
        assert api.get(path_of(cpe)).status_code == 404, "nothing was recorded"

        log = await cpe.run_session()
        assert log.inform_response_ok
        auth = cpe.acs_auth
        assert isinstance(auth, CpeAuth)
        assert len(auth.challenges) == 1 and auth.sent[0].startswith("Digest ")
        assert registered(api, cpe)["serial_number"] == "AUTH1"

        task = api.post(
            f"{path_of(cpe)}/tasks",
            params={"connection_request": "false"},
            json={"type": "get_params", "parameters": {"names": [SW]}},
        )
        assert task.status_code == 201, task.text
        log = await cpe.run_session()
        assert "GetParameterValues" in log.rpcs
        assert len(auth.challenges) == 1, "the next session reused the nonce with a higher nc"
        done = eventually(
            lambda: api.get(f"/api/tasks/{task.json()['id']}").json()["status"] == "done"
        )
        assert done


async def test_a_wrong_password_is_refused_counted_and_slowed_down(database_url: str) -> None:
    with running(database_url, digest_env()) as (server, api):
        one_try = CpeAuth(SHARED_USER, "not-it-4411", preemptive=False)
        wrong = cpe_for(server, "AUTH2", acs_auth=one_try)
        timings = []
        for _ in range(7):
            started = time.monotonic()
            assert "401" in await refused(wrong)
            timings.append(time.monotonic() - started)
        assert max(timings[:4]) < 0.25 < timings[5] and timings[6] > 0.5, timings
        assert api.get(path_of(wrong)).status_code == 404

        right = cpe_for(server, "AUTH2", acs_username=SHARED_USER, acs_password=SHARED_PW)
        started = time.monotonic()
        await right.run_session()
        assert time.monotonic() - started < 0.5, "a right password is not slowed down"
        registered(api, right)

        metrics = api.get("/metrics").text
        assert 'acs_cwmp_auth_failures_total{reason="wrong_password"} 7.0' in metrics
    text = server.log.read_text()
    warnings = [line for line in text.splitlines() if "CPE authentication from" in line]
    assert len(warnings) == 1 and "'fleet'" in warnings[0] and "wrong_password" in warnings[0]
    assert "not-it-4411" not in text


async def test_a_replayed_request_is_refused(database_url: str) -> None:
    with running(database_url, digest_env()) as (server, api):
        cpe = cpe_for(server, "AUTH3", acs_username=SHARED_USER, acs_password=SHARED_PW)
        log = await cpe.run_session()
        registered(api, cpe)
        auth = cpe.acs_auth
        assert isinstance(auth, CpeAuth)
        before = event_count(api, cpe)
        headers = {**XML, "Authorization": auth.sent[0]}
        async with httpx.AsyncClient(trust_env=False) as raw:
            replay = await raw.post(f"{server.url}/cwmp", content=log.requests[0], headers=headers)
        assert replay.status_code == 401 and replay.content == b""
        assert "set-cookie" not in replay.headers
        assert event_count(api, cpe) == before, "a replay records nothing"
        await cpe.run_session()
        assert event_count(api, cpe) > before, "the CPE's next nonce count still works"
        assert 'reason="replay"' in api.get("/metrics").text


async def test_an_expired_nonce_with_the_right_password_gets_a_stale_challenge(
    database_url: str,
) -> None:
    with running(database_url, digest_env(ACS_CWMP_NONCE_TTL="1")) as (server, api):
        cpe = cpe_for(server, "AUTH4", acs_username=SHARED_USER, acs_password=SHARED_PW)
        async with httpx.AsyncClient(trust_env=False) as raw:
            url, body = f"{server.url}/cwmp", cpe.build_inform(["0 BOOTSTRAP"])
            params = challenge_params(await raw.post(url, content=body, headers=XML))
            await asyncio.sleep(1.2)
            header = digest_header(params, SHARED_USER, SHARED_PW)
            stale = await raw.post(url, content=body, headers={**XML, "Authorization": header})
            wrong = digest_header(params, SHARED_USER, "not-it", nc=2)
            refused_ = await raw.post(url, content=body, headers={**XML, "Authorization": wrong})
        assert stale.status_code == 401
        renewed = challenge_params(stale)
        assert renewed["stale"] == "true" and renewed["nonce"] != params["nonce"]
        assert refused_.status_code == 401 and "stale" not in challenge_params(refused_)

        await cpe.run_session()
        await asyncio.sleep(1.2)
        await cpe.run_session()
        auth = cpe.acs_auth
        assert isinstance(auth, CpeAuth)
        assert any("stale=true" in c for c in auth.challenges), auth.challenges
        assert event_count(api, cpe) >= 2


async def test_credentials_set_through_the_api_before_the_first_inform(database_url: str) -> None:
    with running(database_url, digest_env()) as (server, api):
        device = cpe_for(server, "PRE-1")
        creds = f"{path_of(device)}/cwmp-credentials"
        put = api.put(
            creds, json={"username": "pre1", "password": OWN_PW}, headers={"X-ACS-Actor": "alice"}
        )
        assert put.status_code == 204, put.text
        assert api.get(creds).json() == {"username": "pre1", "password_set": True}
        assert api.get(path_of(device)).status_code == 404, "not a device before it informs"

        shared = cpe_for(server, "PRE-1", acs_username=SHARED_USER, acs_password=SHARED_PW)
        assert "401" in await refused(shared), "its own credentials replace the shared ones"
        own = cpe_for(server, "PRE-1", acs_username="pre1", acs_password=OWN_PW)
        await own.run_session()
        shown = registered(api, own)
        assert OWN_PW not in str(shown)

        other = cpe_for(server, "PRE-2", acs_username="pre1", acs_password=OWN_PW)
        assert "401" in await refused(other), "device A's credentials cannot inform as B"

        assert api.delete(creds).status_code == 204
        assert api.get(creds).json() == {"username": None, "password_set": False}
        await cpe_for(
            server, "PRE-1", acs_username=SHARED_USER, acs_password=SHARED_PW
        ).run_session()
        types = [e["type"] for e in api.get(f"{path_of(device)}/events").json()]
        assert types[0] == "CwmpCredentialsSet" and "CwmpCredentialsCleared" in types

        bad = [
            ("/api/devices/not%20an%20id/cwmp-credentials", {"username": "u", "password": "p"}),
            (creds, {"username": "a:b", "password": "p"}),
            (creds, {"username": "u", "password": ""}),
            (creds, {"username": "u", "password": "p", "extra": 1}),
        ]
        for path, body in bad:
            assert api.put(path, json=body).status_code == 400, (path, body)
        assert api.delete("/api/devices/202BC1-BM632w-NONE/cwmp-credentials").status_code == 404


def derived(device_id: str) -> tuple[str, str]:
    """`acs cwmp-password DEVICE-ID`, as an operator provisioning a factory runs it."""
    env = {**os.environ, "ACS_CWMP_CREDENTIAL_RULE": RULE, "ACS_CWMP_CREDENTIAL_SECRET": FACTORY}
    out = subprocess.run(
        [sys.executable, "-m", "acs.cli", "cwmp-password", device_id],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    fields = dict(line.split(": ", 1) for line in out.splitlines())
    return fields["username"], fields["password"]


async def test_the_derived_rule_authenticates_each_device_with_its_own_password(
    database_url: str,
) -> None:
    with running(database_url, digest_env()) as (server, api):
        device = cpe_for(server, "SN-9")
        username, password = derived(device.device_id)
        assert username == f"{device.oui}-{device.product_class}-SN-9"
        cpe = cpe_for(server, "SN-9", acs_username=username, acs_password=password)
        await cpe.run_session()
        registered(api, cpe)
        as_other = cpe_for(server, "SN-10", acs_username=username, acs_password=password)
        assert "401" in await refused(as_other)


async def test_an_unknown_device_without_credentials_is_refused_unless_bootstrap_is_allowed(
    database_url: str, databases: Databases
) -> None:
    env = {"ACS_CWMP_AUTH": "digest", "ACS_SECRET_KEY": "k"}
    with running(database_url, env) as (server, api):
        cpe = cpe_for(server, "BOOT1", acs_username="any", acs_password="thing")
        assert "401" in await refused(cpe)
        assert api.get(path_of(cpe)).status_code == 404
    bootstrap = {**env, "ACS_CWMP_ALLOW_BOOTSTRAP": "true"}
    with running(databases.fresh(), bootstrap) as (server, api):
        cpe = cpe_for(server, "BOOT1")
        await cpe.run_session()
        registered(api, cpe)
        assert "401" in await refused(cpe), "only the first Inform is let through"
        creds = f"{path_of(cpe)}/cwmp-credentials"
        assert api.put(creds, json={"username": "boot1", "password": OWN_PW}).status_code == 204
        await cpe_for(server, "BOOT1", acs_username="boot1", acs_password=OWN_PW).run_session()


async def test_basic_is_refused_over_plain_http_unless_allowed(
    database_url: str, databases: Databases, tmp_path: Path
) -> None:
    env = {
        "ACS_CWMP_AUTH": "basic",
        "ACS_SECRET_KEY": "k",
        "ACS_CWMP_USERNAME": SHARED_USER,
        "ACS_CWMP_PASSWORD": SHARED_PW,
    }
    with running(database_url, env) as (server, api):
        cpe = cpe_for(server, "BASIC1", acs_username=SHARED_USER, acs_password=SHARED_PW)
        async with httpx.AsyncClient(trust_env=False) as raw:
            token = base64.b64encode(f"{SHARED_USER}:{SHARED_PW}".encode()).decode()
            reply = await raw.post(
                f"{server.url}/cwmp",
                content=cpe.build_inform(["1 BOOT"]),
                headers={**XML, "Authorization": f"Basic {token}"},
            )
        assert reply.status_code == 403 and "www-authenticate" not in reply.headers
        assert "403" in await refused(cpe)
    allowed = {**env, "ACS_CWMP_ALLOW_BASIC_WITHOUT_TLS": "true"}
    with running(databases.fresh(), allowed) as (server, api):
        cpe = cpe_for(server, "BASIC1", acs_username=SHARED_USER, acs_password=SHARED_PW)
        await cpe.run_session()
        assert isinstance(cpe.acs_auth, CpeAuth) and cpe.acs_auth.sent[0].startswith("Basic ")
        registered(api, cpe)
    authority = CertificateAuthority(tmp_path)
    issued = authority.server()
    context = authority.client_context()
    tls = ["--tls-cert", str(issued.cert), "--tls-key", str(issued.key)]
    with running(databases.fresh(), env, args=tls, verify=context) as (server, api):
        transport = httpx.AsyncHTTPTransport(verify=context)
        cpe = cpe_for(
            server,
            "BASIC1",
            acs_username=SHARED_USER,
            acs_password=SHARED_PW,
            acs_transport=transport,
        )
        await cpe.run_session()
        registered(api, cpe)
        wrong = cpe_for(
            server,
            "BASIC2",
            acs_username=SHARED_USER,
            acs_password="nope",
            acs_transport=httpx.AsyncHTTPTransport(verify=context),
        )
        assert "401" in await refused(wrong)


def simulate(server: AcsServer, *credentials: str) -> dict:
    """`acs simulate` with these credential flags; its JSON summary."""
    command = [sys.executable, "-m", "acs.cli", "simulate", "--url", f"{server.url}/cwmp",
               "--devices", "5", "--rate", "10", "--duration", "1.5", "--json",
               "--api-key", str(server.api_key), *credentials]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return json.loads(done.stdout)


def test_the_load_generator_authenticates_with_derived_or_shared_credentials(
    database_url: str,
) -> None:
    with running(database_url, digest_env()) as (server, api):
        derived_run = simulate(server, "--cwmp-credential-rule", RULE,
                               "--cwmp-credential-secret", FACTORY)  # fmt: skip
        assert derived_run["sessions"] >= 5 and derived_run["errors"] == 0, derived_run
        shared_run = simulate(server, "--cwmp-username", SHARED_USER, "--cwmp-password", SHARED_PW)
        assert shared_run["errors"] == 0, shared_run
        wrong = simulate(server, "--cwmp-credential-rule", RULE, "--cwmp-credential-secret", "no")
        assert wrong["errors"] >= 1 and set(wrong["error_kinds"]) == {"http_401"}, wrong
        assert eventually(lambda: api.get("/api/stats").json()["total_devices"] == 5)


def database_text(database_url: str) -> str:
    """Every row of every table as text; the event store's JSON decoded from bytea."""
    chunks = []
    with psycopg.connect(database_url) as conn:
        tables = [
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        for table in tables:
            query = sql.SQL("SELECT t::text FROM {} AS t").format(sql.Identifier(table))
            chunks += [r[0] for r in conn.execute(query)]
        for table in ("device_events", "device_snapshots"):
            query = sql.SQL("SELECT convert_from(state, 'UTF8') FROM {}").format(
                sql.Identifier(table)
            )
            chunks += [r[0] for r in conn.execute(query)]
    return "\n".join(chunks)


async def test_no_cpe_password_in_api_responses_logs_or_stored_events(database_url: str) -> None:
    seen: list[str] = []
    with running(database_url, digest_env()) as (server, api):
        device = cpe_for(server, "LEAK-1", acs_username="leak1", acs_password=OWN_PW)
        path = path_of(device)
        put = api.put(f"{path}/cwmp-credentials", json={"username": "leak1", "password": OWN_PW})
        seen.append(put.text)
        await device.run_session()
        registered(api, device)
        for n in range(50):
            seen.append(api.put(f"{path}/tags/t{n}").text)
            seen.append(api.delete(f"{path}/tags/t{n}").text)
        await device.run_session()
        assert "401" in await refused(
            cpe_for(server, "LEAK-1", acs_username="leak1", acs_password=OWN_PW + "x")
        )
        username, password = derived(cpe_for(server, "LEAK-2").device_id)
        await cpe_for(server, "LEAK-2", acs_username=username, acs_password=password).run_session()
        shared = cpe_for(server, "LEAK-3", acs_username=SHARED_USER, acs_password=SHARED_PW)
        await shared.run_session()
        for cpe in (device, shared):
            registered(api, cpe)
        for url in (
            "/api/devices",
            path,
            f"{path}/events?limit=1000",
            f"{path}/parameters",
            f"{path}/parameters/history?name=InternetGatewayDevice.",
            f"{path}/tasks",
            f"{path}/cwmp-credentials",
            "/api/stats",
            "/metrics",
        ):
            reply = api.get(url)
            assert reply.status_code == 200, (url, reply.text)
            seen.append(reply.text)
        with psycopg.connect(database_url) as conn:
            snapshots = conn.execute("SELECT count(*) FROM device_snapshots").fetchone()
        assert snapshots is not None and snapshots[0] >= 1, "the credentials reached a snapshot"
    stored = database_text(database_url)
    assert "CwmpCredentialsSet" in "".join(seen) and "sealed:v1:" in stored
    logged = server.log.read_text()
    assert "'leak1'" in logged, "the failed attempt was logged, with its username"
    for secret in (OWN_PW, SHARED_PW, password, FACTORY):
        for form in (secret, secret.encode().hex()):
            assert form not in "\n".join(seen), f"{secret} in an API response"
            assert form not in logged, f"{secret} in the server log"
            assert form not in stored, f"{secret} in the database"
