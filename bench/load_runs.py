"""Measured simulator runs against a server: the summary plus CPU per session and RSS."""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import msgspec

from bench.processes import Server, cpu_seconds, postgres_backends, rss_mb
from bench.profiling import WaitSampler, finish_py_spy, start_py_spy
from bench.report import median
from bench.simulation import SimResult, simulate

CORES: Final = len(os.sched_getaffinity(0))
"""The cores the ACS, PostgreSQL and the simulator may run on (CPU ms per session →
sessions/s); the bench reads /proc, so it runs on Linux, where this is the usable count."""


class LoadRun(msgspec.Struct, frozen=True):
    """One run's summary and the CPU milliseconds each session cost, by process group."""

    result: SimResult
    server_cpu_ms: float
    postgres_cpu_ms: float
    simulator_cpu_ms: float

    @property
    def session_errors(self) -> int:
        """Errors of sessions (not of the operator's task requests)."""
        return sum(n for kind, n in self.result.error_kinds.items() if not kind.startswith("task"))

    def cpu_line(self) -> str:
        """`CPU per session: server 1.2 ms, PostgreSQL 0.8 ms, simulator 0.6 ms`."""
        total = self.server_cpu_ms + self.postgres_cpu_ms + self.simulator_cpu_ms
        return (
            f"CPU per session: server workers {self.server_cpu_ms:.2f} ms, PostgreSQL backends "
            f"{self.postgres_cpu_ms:.2f} ms, simulator {self.simulator_cpu_ms:.2f} ms "
            f"(total {total:.2f} ms: {CORES} cores allow ≈ {sessions_allowed(total):,.0f} "
            "sessions/s)"
        )


def sessions_allowed(cpu_ms: float) -> float:
    """Sessions/s the cores allow when each costs `cpu_ms` of CPU in all (0 for no cost)."""
    return 1000 * CORES / cpu_ms if cpu_ms > 0 else 0.0


def ceiling(null_runs: Sequence[LoadRun], acs_runs: Sequence[LoadRun]) -> str:
    """The most sessions/s any ACS storing what this one stores could reach on these cores:
    the null ACS's CPU per session (HTTP, codec and simulator) plus PostgreSQL's per session
    of the ACS (its statements and the projections' writes), as if the ACS's own work beyond
    the null ACS cost nothing. Medians of the runs; empty without runs of both."""
    null_ms = median([r.server_cpu_ms + r.simulator_cpu_ms for r in null_runs])
    postgres_ms = median([r.postgres_cpu_ms for r in acs_runs])
    if null_ms is None or postgres_ms is None:
        return ""
    return (
        f"Ceiling of these {CORES} cores: the null ACS's CPU per session with its simulator "
        f"({null_ms:.2f} ms) plus PostgreSQL's per session of the ACS ({postgres_ms:.2f} ms) "
        f"allow at most {sessions_allowed(null_ms + postgres_ms):,.0f} sessions/s, even if "
        "the ACS's own work beyond the null ACS's (device state, decisions, events, the "
        "database client) cost nothing."
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu(database_url: str | None) -> dict[int, float]:
    if database_url is None:
        return {}
    return {pid: cpu_seconds([pid]) for pid in postgres_backends(database_url)}


def load_run(
    server: Server,
    database_url: str | None,
    *,
    devices: int,
    rate: float,
    seconds: float,
    task_mix: str = "",
) -> LoadRun:
    """One simulator run on `server`, with the CPU its workers, PostgreSQL and it used."""
    workers = server.workers()
    server_before, pg_before = cpu_seconds(workers), _backend_cpu(database_url)
    sim_before = _children_cpu()
    result = simulate(
        f"{server.url}/cwmp",
        devices=devices,
        rate=rate,
        duration=seconds,
        task_mix=task_mix,
        server_pids=[server.pid],
    )
    sim_cpu = _children_cpu() - sim_before
    pg_after = _backend_cpu(database_url)
    pg_cpu = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())
    sessions = max(1, result.sessions)
    return LoadRun(
        result,
        1000 * (cpu_seconds(workers) - server_before) / sessions,
        1000 * pg_cpu / sessions,
        1000 * sim_cpu / sessions,
    )


def profiled(
    pid: int,
    database: str | None,
    seconds: float,
    logs: Path,
    load: Callable[[], str],
    *,
    gil: bool = True,
) -> str:
    """Run `load` while py-spy samples the process tree of `pid` and PostgreSQL is watched."""
    out = logs / f"py-spy-{pid}-{time.monotonic_ns()}.txt"
    spy = start_py_spy(pid, seconds, out, gil=gil)
    time.sleep(0.5)
    if database is None:
        text = load()
        return "\n".join([text, finish_py_spy(spy, out, seconds, gil=gil)])
    with WaitSampler(database) as waits:
        text = load()
    return "\n".join([text, waits.summary(), finish_py_spy(spy, out, seconds, gil=gil)])


class RssSampler:
    """Samples the RSS of a server's workers every `every` seconds, in a thread."""

    def __init__(self, server: Server, every: float = 2.0) -> None:
        self.server, self.every = server, every
        self.samples: dict[int, list[tuple[float, float]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = time.monotonic()

    def __enter__(self) -> RssSampler:
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        pids = self.server.workers()
        for _ in range(1_000_000):
            for pid in pids:
                if (mb := rss_mb(pid)) is not None:
                    at = time.monotonic() - self._start
                    self.samples.setdefault(pid, []).append((at, mb))
            if self._stop.wait(self.every):
                return

    def peak(self) -> float:
        """The largest RSS of any worker, MB."""
        return max((mb for series in self.samples.values() for _, mb in series), default=0.0)

    def growth_percent(self) -> float:
        """The largest growth of a worker from a tenth into the run to its end, in percent."""
        growths = []
        for series in self.samples.values():
            if len(series) < 4:
                continue
            early = series[max(1, len(series) // 10)][1]
            growths.append(100 * (series[-1][1] - early) / early)
        return max(growths, default=0.0)

    def timeline(self) -> str:
        """Each worker's RSS at 0, 25, 50, 75 and 100 % of the run."""
        lines = []
        for pid, series in sorted(self.samples.items()):
            points = [series[min(len(series) - 1, q * (len(series) - 1) // 4)] for q in range(5)]
            shown = ", ".join(f"{at:.0f} s {mb:.1f} MB" for at, mb in points)
            lines.append(f"worker {pid}: {shown}")
        return "\n".join(lines) or "no RSS samples"
