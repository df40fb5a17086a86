"""`acs simulate` against the real server: virtual CPEs register, run tasks, get measured."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import httpx

from acs.loadgen.config import loopback_url
from acs.loadgen.cwmp_session import run_session
from acs.loadgen.datamodel import load
from acs.loadgen.report import SUMMARY_KEYS
from acs.loadgen.task_mix import task_body, tasks_path
from acs.loadgen.virtual_cpe import Profile, VirtualCpe
from tests.conftest import ROOT, AcsServer
from tests.e2e.conftest import eventually


def test_twenty_simulated_cpes_register_and_answer_operator_tasks(acs_server: AcsServer) -> None:
    assert acs_server.process is not None
    command = [
        sys.executable,
        "-m",
        "acs.cli",
        "simulate",
        "--url",
        f"{acs_server.url}/cwmp",
        "--devices",
        "20",
        "--rate",
        "20",
        "--duration",
        "3",
        "--json",
        "--task-mix",
        "get_params=2",
        "--server-pid",
        str(acs_server.process.pid),
        "--api-key",
        str(acs_server.api_key),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = json.loads(done.stdout)
    assert tuple(result) == SUMMARY_KEYS
    assert result["sessions"] >= 30, result
    assert result["errors"] == 0, result["error_kinds"]
    assert result["rpcs"].get("GetParameterValues", 0) >= 1, result
    assert result["tasks_created"] >= 1
    assert result["session_ms"]["p99"] > 0
    assert result["server_rss_mb"]["max"] > 0
    assert str(acs_server.process.pid) in result["server_rss_mb"]["per_process"]
    assert result["projection_lag_s"] is not None

    def registered() -> int:
        return int(
            httpx.get(
                f"{acs_server.url}/api/stats", headers=acs_server.auth_headers, timeout=5
            ).json()["total_devices"]
        )

    assert eventually(lambda: registered() == 20)


async def test_a_session_result_tells_what_the_acs_acknowledged(acs_server: AcsServer) -> None:
    model = load(None)
    cpe = VirtualCpe(Profile(model, 300), 7, time.time())
    target = loopback_url(f"{acs_server.url}/cwmp")
    first = await run_session(cpe, target, 10.0)
    assert (first.error, first.informed, first.answered) == (None, True, 0)
    with httpx.Client(base_url=acs_server.url, headers=acs_server.auth_headers) as api:
        path = tasks_path(model, cpe.serial_number)
        assert api.post(path, json=task_body("get_params", model, 1)).status_code == 201
    second = await run_session(cpe, target, 10.0)
    assert (second.rpcs, second.informed, second.answered) == (("GetParameterValues",), True, 1)
    acs_server.kill()
    cut = await run_session(cpe, target, 10.0)
    assert (cut.error, cut.informed, cut.answered) == ("connection_error", False, 0)
