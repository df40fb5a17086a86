"""The scenarios on populated stores (fleet size, catch-up) and the references (null ACS,
storage limit, unchanged Inform bytes)."""

from __future__ import annotations

import subprocess
import sys
import time

import msgspec
import psycopg

from acs.adapters.migrations import migrate
from bench import api_latency, populate
from bench.load_runs import LoadRun, load_run, profiled
from bench.processes import AUTH, ROOT, Server, acs_server, scratch_database
from bench.report import median, number
from bench.scenarios import (
    Context,
    cpu_detail,
    database_name,
    profile_load,
    repeat,
    run_json,
    say,
    warm_up,
)


def _populate(ctx: Context, url: str, devices: int, start: int) -> None:
    say(f"populating {devices:,} devices from index {start:,}")
    with ctx.timed(f"populate {devices:,} devices"):
        populate.populate(url, "fleet", devices, start)


def _fleet_runs(
    ctx: Context, acs: Server, url: str, stored: int
) -> tuple[list[LoadRun], list[api_latency.ApiLatency]]:
    plan = ctx.plan
    warm_up(acs, plan.sim_devices)
    runs = repeat(
        ctx,
        f"{stored:,} stored",
        lambda: load_run(
            acs, url, devices=plan.sim_devices, rate=plan.saturation_rate, seconds=plan.seconds
        ),
    )
    apis: list[api_latency.ApiLatency] = []
    for _ in range(plan.runs):
        apis.append(
            api_latency.run(acs.url, stored, plan.api_requests, seed=len(apis), headers=AUTH)
        )
        say(f"API at {stored:,}: {apis[-1]}")
    return runs, apis


def fleet(ctx: Context) -> None:
    """4: Inform throughput and read API latency with a large fleet stored."""
    plan, rows = ctx.plan, ctx.rows
    with scratch_database("fleet") as url:
        migrate(url)
        _populate(ctx, url, plan.fleet_small, 0)
        with acs_server(url, ctx.logs) as acs:
            small, small_api = _fleet_runs(ctx, acs, url, plan.fleet_small)
        _populate(ctx, url, plan.fleet_devices - plan.fleet_small, plan.fleet_small)
        with acs_server(url, ctx.logs) as acs:
            big, big_api = _fleet_runs(ctx, acs, url, plan.fleet_devices)
            _fleet_rows(ctx, small, big, small_api, big_api)
            _count_row(ctx, url)
            if ctx.unmet("4a"):
                rows["4a"].profile = profile_load(ctx, acs, url, plan.saturation_rate)
            if ctx.unmet("4b", "4c", "4d", "4g"):
                profile = _api_profile(ctx, acs, url)
                for key in ("4b", "4c", "4d", "4g"):
                    rows[key].profile = profile


def _fleet_rows(
    ctx: Context,
    small: list[LoadRun],
    big: list[LoadRun],
    small_api: list[api_latency.ApiLatency],
    big_api: list[api_latency.ApiLatency],
) -> None:
    rows = ctx.rows
    pairs = zip(big, small, strict=True)
    rows["4a"].runs = [
        b.result.sessions_per_second / s.result.sessions_per_second for b, s in pairs
    ]
    rates = [median([r.result.sessions_per_second for r in g]) or 0 for g in (big, small)]
    rows["4a"].detail = (
        f"{rates[0]:,.0f} sessions/s with {ctx.plan.fleet_devices:,} devices stored, "
        f"{rates[1]:,.0f} with {ctx.plan.fleet_small:,} (same simulator runs). {cpu_detail(big)}"
    )
    rows["4b"].available = all(a.list_filtered.available for a in big_api)
    if rows["4b"].available:
        rows["4b"].runs = [a.list_filtered.p99_ms or 0 for a in big_api]
        rows["4e"].runs = [a.filtered_offset.p99_ms or 0 for a in big_api]
        rows["4e"].detail = (
            "offset= reads every row it skips (a third of the fleet matches); the API's "
            "cursor pages (4b) do not."
        )
        rows["4g"].runs = [a.dashboard_filtered.p99_ms or 0 for a in big_api]
        unfiltered = median([a.dashboard_page.p99_ms or 0 for a in big_api]) or 0
        rows["4g"].detail = (
            f"unfiltered pages: p99 {number(unfiltered)} ms. Server time to render the "
            "page a browser receives (the same search as the API, with its total)."
        )
    else:
        rows["4b"].detail = (
            "`param.<Name>=value` is not implemented by this server: it ignores the "
            "filter, so no figure is given; 4c is what exists."
        )
    rows["4c"].runs = [a.list_page.p99_ms or 0 for a in big_api]
    rows["4d"].runs = [a.get_device.p99_ms or 0 for a in big_api]
    p50 = median([a.list_page.p50_ms or 0 for a in big_api]) or 0
    small_p99 = median([a.list_page.p99_ms or 0 for a in small_api]) or 0
    rows["4c"].detail = (
        f"p50 {number(p50)} ms; with {ctx.plan.fleet_small:,} devices stored the p99 is "
        f"{number(small_p99)} ms. Sequential requests, {ctx.plan.api_requests} per run."
    )
    device_small = median([a.get_device.p99_ms or 0 for a in small_api]) or 0
    rows["4d"].detail = f"with {ctx.plan.fleet_small:,} devices stored: {number(device_small)} ms."


def _count_row(ctx: Context, url: str) -> None:
    """4f: what the total of the filtered search costs when no worker has it cached."""
    from acs.projections.device_filter import parse_device_query  # noqa: PLC0415
    from acs.projections.device_search import count_statement  # noqa: PLC0415

    search = parse_device_query([(f"param.{api_latency.FILTER_NAME}", api_latency.FILTER_VALUE)])
    count = count_statement(search.filter)
    timings, total = [], 0
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(5):
            began = time.perf_counter()
            row = conn.execute(count.text, count.params, prepare=False).fetchone()
            timings.append((time.perf_counter() - began) * 1000)
            total = int(row[0]) if row else 0
    ctx.rows["4f"].runs = timings
    ctx.rows["4f"].detail = (
        f"{total:,} matching devices; each API worker keeps a total of 10,000 or more for "
        "30 s (acs/projections/count_cache.py), so pages after the first of a walk, and "
        "other users' pages of the same search, do not pay it."
    )


def _api_profile(ctx: Context, acs: Server, url: str) -> str:
    from acs.projections.device_filter import Cursor, parse_device_query  # noqa: PLC0415
    from acs.projections.device_search import page_statement  # noqa: PLC0415
    from bench.inform_events import public_id  # noqa: PLC0415

    middle = public_id(ctx.plan.fleet_devices // 2)
    search = parse_device_query(
        [(f"param.{api_latency.FILTER_NAME}", api_latency.FILTER_VALUE), ("limit", "50")]
    )
    search = msgspec.structs.replace(
        search, page=msgspec.structs.replace(search.page, after=Cursor("id", None, middle))
    )
    page = page_statement(search, "d.*")
    with psycopg.connect(url, autocommit=True) as conn:
        plan = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {page.text}", page.params).fetchall()
    explain = "\n".join("    " + str(row[0]) for row in plan[:10])

    def load() -> str:
        api_latency.run(
            acs.url, ctx.plan.fleet_devices, ctx.plan.api_requests // 2, seed=99, headers=AUTH
        )
        return f"EXPLAIN ANALYZE of a filtered cursor page from {middle}:\n{explain}"

    return profiled(
        acs.pid, database_name(url), ctx.plan.profile_seconds, ctx.logs, load, gil=False
    )


def catch_up(ctx: Context) -> None:
    """5b: the read model rebuilt from a store of devices with periodic histories."""
    plan, row = ctx.plan, ctx.rows["5b"]
    with scratch_database("catchup") as url:
        migrate(url)
        with ctx.timed("populate catch-up store"):
            populate.populate(url, "history", plan.catchup_devices, 0, plan.catchup_events)
        results = []
        for n in range(plan.runs):
            results.append(run_json("catch_up.py", "--url", url, timeout=600)[0])
            say(f"catch-up run {n + 1}: {results[-1]}")
        row.runs = [float(str(r["events_per_second"])) for r in results]
        stored = results[0]["stored_events"]
        row.detail = (
            f"{stored:,} events ({plan.catchup_devices:,} devices x {plan.catchup_events}: a "
            f"bootstrap then periodic Informs) rebuilt by the ACS's ProjectionRunner.rebuild "
            f"(as `acs projections rebuild`: secondary indexes and foreign keys set aside, "
            f"events read in device order, batched statements, indexes made again, one "
            f"transaction). Seconds the writing side spent per stage in the first run (the "
            f"reading and folding run beside it; its wait for them is a stage): "
            f"{results[0].get('stages')}."
        )
        if ctx.unmet("5b"):
            row.profile = _catch_up_profile(ctx, url)


def _catch_up_profile(ctx: Context, url: str) -> str:
    seconds = ctx.plan.profile_seconds
    command = [sys.executable, str(ROOT / "bench" / "catch_up.py"), "--url", url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603 - ours

    def load() -> str:
        out, _ = process.communicate(timeout=seconds + 600)
        return f"Profile run: {out.strip()}"

    time.sleep(1.0)  # past the truncation
    return profiled(process.pid, database_name(url), seconds, ctx.logs, load)
