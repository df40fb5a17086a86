"""The example provisioner of `examples/bootstrap_ssid`, installed next to the ACS,
provisions a simulated CPE on bootstrap; a preset naming a missing one faults alone."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import AcsServer
from tests.e2e.conftest import eventually
from tests.support.cpe import SimulatedCpe

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bootstrap_ssid"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
INTERVAL = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"


def install_example(target: Path) -> str:
    """Install the example as pip would, without building it: its module stays where it is,
    its metadata (entry points from its pyproject.toml) goes into `target`. Returns the
    PYTHONPATH that makes both visible to the server."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    info = target / f"acs_bootstrap_ssid-{project['version']}.dist-info"
    info.mkdir(parents=True)
    metadata = f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    (info / "METADATA").write_text(metadata)
    groups = project["entry-points"]
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items())
            for group, entries in groups.items()
        )
    )
    return os.pathsep.join(p for p in (str(target), str(EXAMPLE), os.environ.get("PYTHONPATH"))
                           if p)  # fmt: skip


@pytest.fixture
def extended_server(database_url: str, tmp_path: Path) -> Iterator[AcsServer]:
    server = AcsServer(database_url, env={"PYTHONPATH": install_example(tmp_path / "site")})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def events_of(server: AcsServer, device_id: str) -> list[dict[str, object]]:
    reply = httpx.get(f"{server.url}/api/devices/{quote(device_id, safe='')}/events",
                      headers=server.auth_headers, trust_env=False, timeout=10)  # fmt: skip
    assert reply.status_code == 200, reply.text
    events: list[dict[str, object]] = reply.json()
    return events


async def test_the_example_provisions_a_cpe_on_bootstrap(extended_server: AcsServer) -> None:
    health = httpx.get(f"{extended_server.url}/health", trust_env=False, timeout=5)
    assert (health.status_code, health.json()) == (200, {"status": "ok"}), "no credential needed"
    async with httpx.AsyncClient(base_url=extended_server.url, trust_env=False, timeout=15,
                                 headers=extended_server.auth_headers) as api:  # fmt: skip
        for name, provisioner in (("ssid", "example.bootstrap_ssid"), ("gone", "example.gone")):
            created = await api.post("/api/presets", json={
                "name": name, "events": ["0 BOOTSTRAP"], "provisioner": provisioner})  # fmt: skip
            assert created.status_code == 201, created.text
            assert created.json()["definition"]["provisioner"] == provisioner
        await asyncio.sleep(2.2)  # sessions see presets within two seconds
        cpe = SimulatedCpe(f"{extended_server.url}/cwmp", serial="EXT-0001")
        log = await cpe.run_session()
        assert log.events[0] == "0 BOOTSTRAP"
        assert log.rpcs == ["GetParameterValues", "SetParameterValues"]
        digest = hashlib.sha256(b"EXT-0001").hexdigest()[:4].upper()
        assert cpe.values[SSID][0] == f"Home-{digest}"
        assert cpe.values[INTERVAL][0] == "3600"
        assert (await cpe.run_session()).rpcs == [], "a periodic Inform does not trigger it"
        path = f"/api/devices/{quote(cpe.device_id, safe='')}/tasks"
        for _ in range(200):  # the read model follows the sessions
            tasks = (await api.get(path)).json()
            if len(tasks) == 2 and all(t["status"] == "done" for t in tasks):
                break
            await asyncio.sleep(0.05)
        assert [(t["type"], t["status"], t["actor"]) for t in tasks] == [
            ("get_params", "done", "preset:ssid"),
            ("set_params", "done", "preset:ssid"),
        ]
        written = next(t for t in tasks if t["type"] == "set_params")["parameters"]["values"]
        assert written == {INTERVAL: "3600", SSID: f"Home-{digest}"}, "the factory had 300"

    faults = eventually(lambda: [e for e in events_of(extended_server, cpe.device_id)
                                 if e["type"] == "PresetFaulted"])  # fmt: skip
    assert len(faults) == 1, "the missing provisioner faulted its preset once, then backed off"
    data = faults[0]["data"]
    assert isinstance(data, dict) and data["name"] == "gone"
    assert data["reason"].startswith("no provisioner example.gone is installed (installed: ")
    assert "example.bootstrap_ssid" in data["reason"]
