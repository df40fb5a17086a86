"""A soak at half the benchmark's rate: no error, worker RSS flat, projection lag bounded.

`acs simulate` drives `acs serve --workers 2` for ACS_SOAK_SECONDS (600) at ACS_SOAK_RATE
sessions/s (110: half of the ≈ 220/s `make bench` measures on the 2-core box), with a few
operator tasks a second. Each worker's RSS is sampled every 10 s and the projection lag
every second; the run must end with no error, the same workers, each worker's RSS grown by
less than 10 % from minute 2 (a fifth of a shorter run) to the end, and the lag's p99 under
5 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Final

import httpx

from acs.loadgen.monitor import MB, rss_bytes
from tests.conftest import ROOT, AcsServer
from tests.faults.conftest import SMALL_POOLS, worker_pids

DEVICES: Final = 1000
TASK_MIX: Final = "get_params=1,set_params=1"
RSS_GROWTH_LIMIT: Final = 0.10
LAG_P99_LIMIT: Final = 5.0
WARM_UP: Final = 120.0
"""Seconds before the RSS baseline: caches and pools fill during the first minutes."""


class Samples:
    """RSS of each worker (MB) every `every` seconds, and the projection lag every second."""

    def __init__(self, server: AcsServer, every: float) -> None:
        self.workers = worker_pids(server)
        self.every = every
        self.rss: list[tuple[float, dict[int, float]]] = []
        self.lag: list[float] = []
        self.lag_events: list[int] = []
        self.api = httpx.Client(base_url=server.url, headers=server.auth_headers, timeout=5)

    def take(self, elapsed: float) -> None:
        """One lag sample; an RSS sample too when one is due."""
        try:
            status = self.api.get("/api/status/projections").json()
            self.lag.append(float(status["lag_seconds"]))
            self.lag_events.append(int(status["lag_events"]))
        except httpx.HTTPError:
            self.lag.append(float("inf"))
        if not self.rss or elapsed - self.rss[-1][0] >= self.every:
            sizes = {pid: (rss_bytes(pid) or 0) / MB for pid in self.workers}
            self.rss.append((elapsed, sizes))

    def growth(self, baseline_at: float) -> dict[int, tuple[float, float, float]]:
        """Per worker: RSS at the baseline, at the end, and the growth between (fraction)."""
        base = next(sizes for at, sizes in self.rss if at >= baseline_at)
        end = self.rss[-1][1]
        return {pid: (base[pid], end[pid], end[pid] / base[pid] - 1) for pid in self.workers}


def soak(server: AcsServer, seconds: float, rate: float) -> tuple[dict[str, Any], Samples]:
    """Run the simulator for `seconds` while sampling; its JSON summary and the samples."""
    assert server.process is not None
    samples = Samples(server, every=min(10.0, seconds / 12))
    command = [sys.executable, "-m", "acs.cli", "simulate", "--url", f"{server.url}/cwmp",
               "--devices", str(DEVICES), "--rate", str(rate), "--duration", str(seconds),
               "--task-mix", TASK_MIX, "--json", "--quiet", "--api-key", str(server.api_key),
               "--server-pid", str(server.process.pid)]  # fmt: skip
    started = time.monotonic()
    simulator = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while simulator.poll() is None and time.monotonic() - started < seconds + 120:
            samples.take(time.monotonic() - started)
            time.sleep(1.0)
        out, err = simulator.communicate(timeout=5)
    finally:
        if simulator.poll() is None:
            simulator.kill()
            simulator.wait()
        samples.api.close()
    assert simulator.returncode == 0, err.decode()[-2000:]
    return json.loads(out), samples


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def report(result: dict[str, Any], samples: Samples, growth: dict[int, Any]) -> str:
    """The summary table."""
    lag = sorted(samples.lag)
    lines = [
        f"soak: {result['duration_s']:g} s at {result['target_rate']:g}/s offered to "
        f"{result['devices']} CPEs: {result['sessions']} sessions "
        f"({result['sessions_per_second']}/s), errors {result['errors']}, late "
        f"{result['late']}, tasks {result['tasks_created']}, "
        f"session p99 {result['session_ms']['p99']} ms",
        f"projection lag (s): p50 {statistics.median(lag):.3f}  p99 {p99(lag):.3f}  max "
        f"{lag[-1]:.3f}  (events behind, max {max(samples.lag_events, default=0)})",
        "worker   RSS baseline (MB)   RSS end (MB)   max (MB)   growth",
    ]
    for pid, (base, end, grown) in growth.items():
        peak = max(sizes[pid] for _, sizes in samples.rss)
        lines.append(f"{pid:<8} {base:>17.1f}   {end:>12.1f}   {peak:>8.1f}   {grown:>+6.1%}")
    return "\n".join(lines)


def test_a_soak_at_half_the_benchmark_rate_is_error_free_flat_and_keeps_up(
    database_url: str,
) -> None:
    seconds = float(os.environ.get("ACS_SOAK_SECONDS") or 600)
    rate = float(os.environ.get("ACS_SOAK_RATE") or 110)
    server = AcsServer(database_url, workers=2, env=SMALL_POOLS).start()
    try:
        result, samples = soak(server, seconds, rate)
        assert worker_pids(server) == samples.workers, "no worker died or was replaced"
    finally:
        server.stop()
    growth = samples.growth(min(WARM_UP, seconds / 5))
    print(report(result, samples, growth))
    assert result["errors"] == 0, result["error_kinds"]
    assert result["sessions"] >= 0.8 * rate * seconds, "the soak ran at its rate"
    grown = {pid: g for pid, (_, _, g) in growth.items() if g >= RSS_GROWTH_LIMIT}
    assert not grown, f"worker RSS grew by {RSS_GROWTH_LIMIT:.0%} or more: {grown}"
    assert p99(samples.lag) < LAG_P99_LIMIT, "projection lag p99"
