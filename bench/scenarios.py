"""The scenarios of `make bench`, each on fresh databases: they fill the rows of the table.

Each measurement runs `plan.runs` times; a row that misses its goal is profiled at once, while
its server and data are still there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from acs.adapters.migrations import migrate
from bench import populate
from bench.load_runs import LoadRun, RssSampler, load_run, profiled
from bench.plan import Plan
from bench.processes import BIN, ROOT, Server, acs_server, null_server, scratch_database
from bench.report import NOT_MET, Row, median, number

if TYPE_CHECKING:
    from bench.references import References


@dataclass
class Context:
    """What the scenarios share: the plan, the rows they fill, logs, rates and timings."""

    plan: Plan
    rows: dict[str, Row]
    logs: Path
    rates: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    loads: dict[str, tuple[float, float]] = field(default_factory=dict)
    saturated: list[LoadRun] = field(default_factory=list)
    """The ACS's saturation runs (1a), for the ceiling beside the null ACS's."""

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Record how long a part took, and the machine's load average before and after."""
        began, load = time.monotonic(), os.getloadavg()[0]
        try:
            yield
        finally:
            self.timings[name] = time.monotonic() - began
            self.loads[name] = (load, os.getloadavg()[0])
            say(f"{name}: {self.timings[name]:.0f} s")

    def unmet(self, *keys: str) -> bool:
        """Whether any of these rows misses its goal (or was not measured)."""
        return any(self.rows[k].status.startswith((NOT_MET, "NOT MEASURED")) for k in keys)


def say(text: str) -> None:
    """Progress on stderr."""
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def database_name(url: str) -> str:
    """The database part of a libpq URL."""
    return url.rsplit("/", 1)[1]


def warm_up(server: Server, devices: int) -> None:
    """A short unmeasured run: imports, pools and caches warm."""
    load_run(server, None, devices=devices, rate=min(500.0, devices), seconds=3)


def repeat(ctx: Context, what: str, run: Callable[[], LoadRun]) -> list[LoadRun]:
    """`plan.runs` runs of one measurement."""
    runs = []
    for n in range(ctx.plan.runs):
        runs.append(run())
        r = runs[-1].result
        say(f"{what} run {n + 1}: {r.sessions_per_second:g} sessions/s, p99 {r.session_ms.p99} ms")
    return runs


def worker_peak(runs: list[LoadRun], server: Server) -> list[float]:
    """The largest worker RSS the simulator saw in each run."""
    workers = {str(pid) for pid in server.workers()}
    peaks = []
    for run in runs:
        rss = run.result.server_rss_mb
        if rss is not None:
            sizes = [span.max for pid, span in rss.per_process.items() if pid in workers]
            peaks.append(max(sizes, default=0.0))
    return peaks


def cpu_detail(runs: list[LoadRun]) -> str:
    """The CPU line of the median run (by sessions/s)."""
    ordered = sorted(runs, key=lambda r: r.result.sessions_per_second)
    return ordered[len(ordered) // 2].cpu_line() if ordered else ""


def periodic(ctx: Context) -> None:
    """Targets 1, 2, 5a, 6b and 7 on a fresh store through the real ACS, with the null ACS
    and the storage limit measured between its runs."""
    from bench.references import References  # noqa: PLC0415 - it builds on this module

    plan = ctx.plan
    with scratch_database("periodic") as url, scratch_database("storage_limit") as refs_url:
        migrate(url)
        populate.populate(url, "fleet", max(plan.sim_devices, int(plan.work_rate * plan.seconds)))
        with acs_server(url, ctx.logs) as acs, null_server(ctx.logs) as null:
            refs = References(null, refs_url)
            _periodic(ctx, acs, url, refs)
            refs.fill(ctx)


def _periodic(ctx: Context, acs: Server, url: str, refs: References) -> None:
    plan, rows = ctx.plan, ctx.rows
    warm_up(acs, plan.sim_devices)
    warm_up(refs.null, plan.sim_devices)
    saturation(ctx, acs, url, refs)
    half = max(10.0, (rows["1a"].measured or plan.saturation_rate) / 2)
    ctx.rates["half"] = half
    halves = []
    for n in range(plan.runs):
        halves.append(_load(ctx, acs, url, half))
        say(f"half rate {half:.0f}/s run {n + 1}: p99 {halves[-1].result.session_ms.p99} ms")
        refs.null_run(ctx, half, saturated=False)
    rows["1b"].runs = [r.result.session_ms.p99 or 0.0 for r in halves]
    rows["1b"].target += f" ({half:,.0f}/s offered)"
    rows["1b"].errors = sum(r.session_errors for r in halves)
    rows["7a"].runs += worker_peak(halves, acs)
    target_rate(ctx, acs, url)
    work(ctx, acs, url)
    soak(ctx, acs, url, half)
    if ctx.unmet("1a", "1b", "5a"):
        profile = profile_load(ctx, acs, url, plan.saturation_rate)
        for key in ("1a", "1b", "5a"):
            rows[key].profile = profile


def _load(ctx: Context, acs: Server, url: str, rate: float) -> LoadRun:
    plan = ctx.plan
    return load_run(acs, url, devices=plan.sim_devices, rate=rate, seconds=plan.seconds)


def profile_load(
    ctx: Context, acs: Server, url: str, rate: float, devices: int | None = None
) -> str:
    seconds = ctx.plan.profile_seconds
    say(f"profiling the ACS at {rate:g}/s offered for {seconds:g} s")

    def load() -> str:
        cpes = devices or ctx.plan.sim_devices
        run = load_run(acs, url, devices=cpes, rate=rate, seconds=seconds)
        r = run.result
        return (
            f"Profile run: {r.sessions_per_second:g} sessions/s at {rate:g}/s offered, "
            f"p50/p99 {r.session_ms.p50}/{r.session_ms.p99} ms, late {r.late}.\n{run.cpu_line()}"
        )

    return profiled(acs.pid, database_name(url), seconds, ctx.logs, load)


def saturation(ctx: Context, acs: Server, url: str, refs: References) -> None:
    """1a: sessions/s at a rate above what the ACS sustains, each run followed by a null ACS
    run and a storage limit run."""
    rows = ctx.rows
    runs: list[LoadRun] = []
    for n in range(ctx.plan.runs):
        runs.append(_load(ctx, acs, url, ctx.plan.saturation_rate))
        r = runs[-1].result
        say(f"saturation run {n + 1}: {r.sessions_per_second:g} sessions/s, errors {r.errors}")
        refs.null_run(ctx, ctx.plan.null_rate, saturated=True)
        refs.storage_run(ctx)
    ctx.saturated = runs
    rows["1a"].runs = [r.result.sessions_per_second for r in runs]
    rows["1a"].errors = sum(r.session_errors for r in runs)
    late = median([r.result.late for r in runs]) or 0
    rows["1a"].detail = (
        f"offered {ctx.plan.saturation_rate:g}/s to {ctx.plan.sim_devices} simulated CPEs for "
        f"{ctx.plan.seconds:g} s; median late (skipped) sessions {late:.0f}; "
        f"errors {rows['1a'].errors}. {cpu_detail(runs)}"
    )
    rows["7a"].runs += worker_peak(runs, acs)


def target_rate(ctx: Context, acs: Server, url: str) -> None:
    """5a: the projection lag the simulator samples at the target rate."""
    row, rate = ctx.rows["5a"], ctx.plan.target_rate
    runs = repeat(ctx, f"target rate {rate:g}/s", lambda: _load(ctx, acs, url, rate))
    lags = [r.result.projection_lag_s.p99 for r in runs if r.result.projection_lag_s]
    row.runs = [lag for lag in lags if lag is not None]
    row.available = bool(row.runs)
    achieved = median([r.result.sessions_per_second for r in runs]) or 0
    row.detail = f"sessions achieved at {rate:g}/s offered: {achieved:,.0f}/s."


def work_plan(ctx: Context) -> tuple[float, int]:
    """Offered rate of the work runs (the periodic saturation, at least the goal) and CPEs."""
    goal = ctx.rows["2"].goal
    floor = goal.limit if goal else 400.0
    rate = min(ctx.plan.work_rate, max(floor, ctx.rows["1a"].measured or floor))
    return rate, int(rate * ctx.plan.seconds)


def work(ctx: Context, acs: Server, url: str) -> None:
    """2: sessions that each carry one GPV or SPV task, queued through the API beforehand."""
    from bench.tasks import queue_tasks, without_open_task  # noqa: PLC0415

    row, plan = ctx.rows["2"], ctx.plan
    rate, devices = work_plan(ctx)
    runs, queued = [], []
    for n in range(plan.runs):
        began = time.monotonic()
        created, failed = queue_tasks(acs.url, without_open_task(url, devices), n)
        queued.append(f"{created} tasks in {time.monotonic() - began:.0f} s {failed or ''}")
        runs.append(load_run(acs, url, devices=devices, rate=rate, seconds=plan.seconds))
        r = runs[-1].result
        say(f"work run {n + 1}: {r.sessions_per_second:g} sessions/s, rpcs {r.rpcs}")

    def with_work(run: LoadRun) -> float:
        r = run.result
        return r.sessions_per_second * min(r.work_sessions, r.sessions) / max(1, r.sessions)

    row.runs = [with_work(r) for r in runs]
    row.errors = sum(r.session_errors for r in runs)
    mid = runs[len(runs) // 2].result
    row.detail = (
        f"before each run one task (GPV or SPV, alternately) was queued through "
        f"POST /api/devices/{{id}}/tasks for each of {devices:,} CPEs without one "
        f"({'; '.join(queued)}); then {rate:g} sessions/s offered for {plan.seconds:g} s. "
        f"A run: {mid.sessions} sessions, RPCs {mid.rpcs}, p99 {mid.session_ms.p99} ms. "
        f"{cpu_detail(runs)}"
    )
    if ctx.unmet("2"):
        queue_tasks(acs.url, without_open_task(url, devices), plan.runs)
        row.profile = profile_load(ctx, acs, url, rate, devices=devices)


def soak(ctx: Context, acs: Server, url: str, rate: float) -> None:
    """7: worker RSS through a long run at half the saturation rate; 6b: bytes it stored."""
    from bench.storage import per_inform, sizes  # noqa: PLC0415

    seconds = ctx.plan.soak_seconds
    say(f"soak: {seconds:g} s at {rate:.0f}/s")
    before = sizes(url)
    with RssSampler(acs) as rss:
        run = load_run(acs, url, devices=ctx.plan.sim_devices, rate=rate, seconds=seconds)
    grown = per_inform(before, sizes(url), run.result.sessions)
    ctx.rows["6b"].runs = [grown["events"]]
    ctx.rows["6b"].detail = (
        f"device_events + device_snapshots growth ÷ sessions over the soak; the simulator's "
        f"Informs (all periodic) change uptime and traffic counters. Read model growth "
        f"(before vacuum): {number(grown['read_model'])} B per Inform."
    )
    ctx.rows["7a"].runs.append(rss.peak())
    ctx.rows["7b"].runs = [rss.growth_percent()]
    timeline = rss.timeline()
    ctx.rows["7b"].detail = (
        f"soak of {seconds:g} s at {rate:.0f}/s ({run.result.sessions} sessions, errors "
        f"{run.result.errors}); growth from a tenth into the run to its end (one soak)."
    )
    for key in ("7a", "7b"):
        ctx.rows[key].profile = "RSS of each worker during the soak:\n" + timeline


def history(ctx: Context) -> None:
    """3: sessions of a device with 10,000 stored events against a new device's, the two
    servers up side by side and their runs alternated so that drift hits both alike."""
    plan, row = ctx.plan, ctx.rows["3"]

    def one(acs: Server, url: str) -> LoadRun:
        return load_run(acs, url, devices=1, rate=plan.history_rate, seconds=plan.seconds)

    with scratch_database("history_new") as new_url, scratch_database("history_old") as old_url:
        migrate(old_url)
        populate.populate(old_url, "history", 1, 0, plan.history_events)
        rebuild(old_url)
        with acs_server(new_url, ctx.logs) as new_acs, acs_server(old_url, ctx.logs) as old_acs:
            warm_up(new_acs, 1)
            warm_up(old_acs, 1)
            new, old = [], []
            for n in range(plan.runs):
                if n % 2:
                    new.append(one(new_acs, new_url))
                    old.append(one(old_acs, old_url))
                else:
                    old.append(one(old_acs, old_url))
                    new.append(one(new_acs, new_url))
                ratio = (old[-1].result.session_ms.p50 or 0) / (new[-1].result.session_ms.p50 or 1)
                say(f"history run {n + 1}: old/new p50 {ratio:.2f}")
            _history_row(ctx, old, new)
            if ctx.unmet("3"):
                row.profile = "\n\n".join(
                    _profile_one(ctx, acs, url, what)
                    for acs, url, what in (
                        (old_acs, old_url, "device with 10,000 events"),
                        (new_acs, new_url, "new device"),
                    )
                )


def _history_row(ctx: Context, old: list[LoadRun], new: list[LoadRun]) -> None:
    row = ctx.rows["3"]
    pairs = zip(old, new, strict=True)
    row.runs = [(o.result.session_ms.p50 or 0) / (n.result.session_ms.p50 or 1) for o, n in pairs]
    p50 = [median([r.result.session_ms.p50 or 0 for r in g]) or 0 for g in (old, new)]
    row.detail = (
        f"one CPE at {ctx.plan.history_rate:g} sessions/s, {ctx.plan.seconds:g} s per run; p50 "
        f"session {p50[0]:.2f} ms (10,000 events) vs {p50[1]:.2f} ms (new device). "
        f"At this rate the CPU per session mostly shows the servers' background work."
    )


def _profile_one(ctx: Context, acs: Server, url: str, what: str) -> str:
    seconds, rate = ctx.plan.profile_seconds, ctx.plan.history_rate

    def load() -> str:
        r = load_run(acs, url, devices=1, rate=rate, seconds=seconds).result
        return f"Profile run ({what}): session ms {r.session_ms}"

    return profiled(acs.pid, database_name(url), seconds, ctx.logs, load, gil=False)


def rebuild(url: str) -> None:
    """`acs projections rebuild` on a database."""
    subprocess.run(  # noqa: S603 - our own command
        [str(BIN / "acs"), "projections", "rebuild"],
        env={"ACS_DATABASE_URL": url, "PATH": str(BIN), "ACS_LOG_LEVEL": "WARNING"},
        check=True,
        capture_output=True,
        timeout=1800,
    )


def run_json(script: str, *args: str, timeout: float = 600) -> list[dict[str, object]]:
    """Run one of the bench's scripts and read the JSON lines it prints."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
