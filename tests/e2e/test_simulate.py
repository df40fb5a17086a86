"""`acs simulate` against the real server: virtual CPEs register, run tasks, get measured."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from acs.loadgen.report import SUMMARY_KEYS
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
