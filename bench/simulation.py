"""Runs `acs simulate --json` and reads its summary (the load generator's JSON contract)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Final

import msgspec

from bench.processes import API_KEY

WORK_METHODS: Final = ("GetParameterValues", "SetParameterValues")


class Percentiles(msgspec.Struct, frozen=True):
    """p50/p95/p99/max; any of them None when nothing was measured."""

    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None


class RssSpan(msgspec.Struct, frozen=True):
    """RSS in MB at the start, at the end, and the largest seen."""

    start: float
    end: float
    max: float


class ServerRss(RssSpan, frozen=True):
    """The server's total RSS and that of each process (keyed by pid)."""

    per_process: dict[str, RssSpan] = {}


class SimResult(msgspec.Struct, frozen=True):
    """What `acs simulate --json` prints."""

    devices: int
    target_rate: float
    duration_s: float
    sessions: int
    sessions_per_second: float
    late: int
    errors: int
    error_kinds: dict[str, int]
    session_ms: Percentiles
    rpcs: dict[str, int]
    tasks_created: int
    projection_lag_s: Percentiles | None
    server_rss_mb: ServerRss | None

    @property
    def work_sessions(self) -> int:
        """RPCs of the GPV and SPV tasks sent (one per session with work)."""
        return sum(self.rpcs.get(method, 0) for method in WORK_METHODS)


_DECODER = msgspec.json.Decoder(SimResult)


def parse_summary(output: str) -> SimResult:
    """The summary: the last line of the output that is a JSON object."""
    for line in reversed(output.strip().splitlines()):
        if line.lstrip().startswith("{"):
            return _DECODER.decode(line)
    raise ValueError(f"no JSON summary in the simulator's output: {output[-500:]!r}")


def simulate(
    url: str,
    *,
    devices: int,
    rate: float,
    duration: float,
    task_mix: str = "",
    server_pids: Sequence[int] = (),
    concurrency: int | None = None,
    registered: bool = True,
) -> SimResult:
    """One bounded simulator run (killed after its duration plus a minute); `registered`:
    the CPEs start with a periodic Inform (the bench populates their devices beforehand)."""
    command = [sys.executable, "-m", "acs.cli", "simulate", "--url", url, "--json", "--quiet"]
    command += ["--devices", str(devices), "--rate", f"{rate:g}", "--duration", f"{duration:g}"]
    if task_mix:
        command += ["--task-mix", task_mix]
    if server_pids:
        command += ["--server-pid", *map(str, server_pids)]
    if registered:
        command.append("--registered")
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command,
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
        env={**os.environ, "ACS_API_KEY": API_KEY},
    )
    if done.returncode != 0:
        raise RuntimeError(f"acs simulate failed ({done.returncode}): {done.stderr[-2000:]}")
    return parse_summary(done.stdout)
