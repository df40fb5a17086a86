"""CPEs of every CWMP version and encoding complete their sessions."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

CODE = "InternetGatewayDevice.DeviceInfo.ProvisioningCode"
NAMESPACES = [f"urn:dslforum-org:cwmp-1-{minor}" for minor in range(5)]


@pytest.mark.parametrize("namespace", NAMESPACES)
async def test_every_cwmp_namespace_is_answered_in_kind(
    acs_server: AcsServer, namespace: str
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial=f"NS{namespace[-1]}",
                       cwmp_namespace=namespace)  # fmt: skip
    log = await cpe.run_session()
    assert log.inform_response_ok
    wire = namespace if namespace[-1] in "012" else "urn:dslforum-org:cwmp-1-2"
    assert wire.encode() in log.responses[0]


async def test_version_negotiation_picks_the_highest_common_version(
    acs_server: AcsServer,
) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="NEGOTIATE",
                       cwmp_namespace="urn:dslforum-org:cwmp-1-2",
                       supported_versions="1.0,1.1,1.2,1.3,1.4")  # fmt: skip
    log = await cpe.run_session()
    assert log.use_version == "1.4"


async def test_gzip_iso_8859_1_and_session_timeout_are_understood(acs_server: AcsServer) -> None:
    cpe = SimulatedCpe(f"{acs_server.url}/cwmp", serial="GZIP-LATIN1", gzip=True,
                       charset="iso-8859-1", session_timeout=120,
                       overrides={CODE: "Café"})  # fmt: skip
    log = await cpe.run_session()
    assert log.inform_response_ok
    second = await cpe.run_session()
    assert second.events == ["2 PERIODIC"]
    path = f"{acs_server.url}/api/devices/{quote(cpe.device_id, safe='')}/parameters"
    values = eventually(
        lambda: (
            (r := httpx.get(path, headers=acs_server.auth_headers)).status_code == 200
            and {p["name"]: p["value"] for p in r.json()}
        )
    )
    assert values[CODE] == "Café"
