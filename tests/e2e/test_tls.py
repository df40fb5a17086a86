"""`acs serve` over HTTPS: the same API and CWMP with certificates made in the test, plain
HTTP refused, pinned CPE certificates on /cwmp, and clear errors for unusable TLS settings."""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, AcsServer
from tests.support.certificates import CertificateAuthority, Issued
from tests.support.cpe import SimulatedCpe


class Pki:
    """The test's certificates: a CA, the server's, a CPE's, and a CPE's from another CA."""

    def __init__(self, directory: Path) -> None:
        self.ca = CertificateAuthority(directory)
        self.server = self.ca.server("127.0.0.1")
        self.cpe = self.ca.client("202BC1-BM632w-TLS1")
        self.rogue = CertificateAuthority(directory, "Other CA").client("ROGUE")

    def trusting(self, client: Issued | None = None) -> ssl.SSLContext:
        """A client context that trusts the ACS's certificate, presenting `client`."""
        return self.ca.client_context(client)

    def transport(self, client: Issued | None = None) -> httpx.AsyncHTTPTransport:
        """An HTTPS transport for the CPE simulator."""
        return httpx.AsyncHTTPTransport(verify=self.trusting(client))


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(tmp_path)


@pytest.fixture
def tls_server(database_url: str, pki: Pki) -> Iterator[AcsServer]:
    """The ACS serving HTTPS, configured through the environment."""
    env = {
        "ACS_TLS_CERT": str(pki.server.cert),
        "ACS_TLS_KEY": str(pki.server.key),
        "ACS_LOG_LEVEL": "INFO",
    }
    server = AcsServer(database_url, env=env, verify=pki.trusting()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pinned_server(database_url: str, pki: Pki) -> Iterator[AcsServer]:
    """The ACS serving HTTPS with pinned CPE certificates, configured with the flags."""
    args = [
        "--tls-cert",
        str(pki.server.cert),
        "--tls-key",
        str(pki.server.key),
        "--tls-client-ca",
        str(pki.ca.pem),
    ]
    server = AcsServer(database_url, args=args, verify=pki.trusting()).start()
    try:
        yield server
    finally:
        server.stop()


def operator(server: AcsServer, verify: ssl.SSLContext) -> httpx.AsyncClient:
    """An operator's client of the server's API, over HTTPS."""
    return httpx.AsyncClient(
        base_url=server.url, headers=server.auth_headers, verify=verify, trust_env=False, timeout=10
    )


async def registered(api: httpx.AsyncClient, cpe: SimulatedCpe) -> str:
    """Run the CPE's first session; the device's API path once the read model has it."""
    await cpe.run_session()
    path = "/api/devices/" + cpe.device_id.replace("%", "%25")
    for _ in range(100):
        if (await api.get(path)).status_code == 200:
            return path
        await asyncio.sleep(0.05)
    raise AssertionError(f"{cpe.device_id} never appeared")


def transfer_url(log_responses: list[bytes], method: bytes) -> str:
    """The URL of the transfer RPC the ACS sent in a session."""
    rpc = next(r for r in log_responses if method in r)
    found = re.search(rb"<URL>([^<]+)</URL>", rpc)
    assert found, rpc
    return found.group(1).decode()


async def test_the_same_api_and_cwmp_are_served_over_https(tls_server: AcsServer, pki: Pki) -> None:
    assert tls_server.url.startswith("https://127.0.0.1:")
    cpe = SimulatedCpe(
        f"{tls_server.url}/cwmp",
        serial="TLS-1",
        acs_transport=pki.transport(),
        transfer_transport=pki.transport(),
    )
    async with operator(tls_server, pki.trusting()) as api:
        assert (await api.get("/api/devices")).json() == []
        path = await registered(api, cpe)
        devices = (await api.get("/api/devices")).json()
        assert [d["id"] for d in devices] == [cpe.device_id]
        stored = await api.post("/api/files", params={"name": "fw.bin"}, content=b"FW" * 100)
        assert stored.status_code == 201, stored.text
        for spec in (
            {"type": "download", "parameters": {"file_id": stored.json()["id"]}},
            {"type": "upload", "parameters": {"file_type": "3 Vendor Configuration File"}},
        ):
            task = await api.post(
                f"{path}/tasks", params={"connection_request": "false"}, json=spec
            )
            assert task.status_code == 201, task.text
        log = await cpe.run_session()
    assert log.rpcs == ["Download", "Upload"]
    assert transfer_url(log.responses, b"Download").startswith(f"{tls_server.url}/files/")
    assert transfer_url(log.responses, b"Upload").startswith(f"{tls_server.url}/uploads/")
    statuses = [t.http_status for t in log.transfers]
    assert statuses == [200, 204], "the CPE fetched and uploaded over HTTPS"
    assert f"serving on {tls_server.url}" in tls_server.log.read_text()


def test_plain_http_and_untrusting_clients_get_no_answer(tls_server: AcsServer) -> None:
    plain = tls_server.url.replace("https://", "http://")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{plain}/api/stats", headers=tls_server.auth_headers, timeout=5)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{tls_server.url}/api/stats", headers=tls_server.auth_headers, timeout=5)


async def test_pinned_cpe_certificates_are_required_on_cwmp_only(
    pinned_server: AcsServer, pki: Pki
) -> None:
    url = f"{pinned_server.url}/cwmp"
    async with operator(pinned_server, pki.trusting()) as api:
        assert (await api.get("/api/stats")).status_code == 200, "operators need no certificate"
        refused = await api.post("/cwmp", content=b"")
        assert refused.status_code == 403
        assert refused.json()["detail"] == "a client certificate is required on /cwmp"
        cpe = SimulatedCpe(url, serial="TLS1", acs_transport=pki.transport(pki.cpe))
        await registered(api, cpe)
    stranger = SimulatedCpe(url, serial="TLS2", acs_transport=pki.transport(pki.rogue))
    with pytest.raises(Exception, match=r"HTTP POST .* failed"):
        await stranger.run_session()
    async with httpx.AsyncClient(verify=pki.trusting(pki.rogue), trust_env=False) as rogue:
        with pytest.raises(httpx.TransportError):
            await rogue.get(f"{pinned_server.url}/api/stats")


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`acs serve` with these flags, expected to stop before it touches any database."""
    environ = {**os.environ, "ACS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    for name in ("ACS_TLS_CERT", "ACS_TLS_KEY", "ACS_TLS_CLIENT_CA"):
        environ.pop(name, None)
    command = [sys.executable, "-m", "acs.cli", "serve", "--port", "1", *args]
    return subprocess.run(
        command,
        env={**environ, **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_unusable_tls_settings_stop_the_server_with_the_reason(pki: Pki, tmp_path: Path) -> None:
    cert, key, ca = str(pki.server.cert), str(pki.server.key), str(pki.ca.pem)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    cases = [
        (["--tls-cert", cert], {}, "give both a TLS certificate and its key"),
        ([], {"ACS_TLS_KEY": key}, "give both a TLS certificate and its key"),
        (["--tls-client-ca", ca], {}, "a TLS client CA needs a certificate and key"),
        (
            ["--tls-cert", cert, "--tls-key", str(tmp_path / "nope.key")],
            {},
            "TLS key " + str(tmp_path / "nope.key") + ": No such file or directory",
        ),
        (["--tls-cert", cert, "--tls-key", str(pki.cpe.key)], {}, "cannot be used"),
        (["--tls-key", key], {"ACS_TLS_CERT": str(garbage)}, "cannot be used"),
        (
            ["--tls-cert", cert, "--tls-key", key, "--tls-client-ca", str(garbage)],
            {},
            f"TLS client CA {garbage} cannot be used",
        ),
    ]
    for args, env, reason in cases:
        done = serve(*args, env=env)
        assert done.returncode == 1, (args, env, done.stderr)
        assert reason in done.stderr, (args, env, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
