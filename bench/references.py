"""The references, measured between the ACS's own runs so that both see the same machine:
the null ACS (sessions/s, p99 at the same offered rate, worker RSS) and the storage limit
(raw inserts of the Inform event row, three ways); and the bytes of unchanged Informs."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.load_runs import LoadRun, ceiling, load_run
from bench.processes import POOL_SIZE, Server, scratch_database
from bench.report import Reference, median, number
from bench.scenarios import Context, cpu_detail, run_json, say, worker_peak


@dataclass
class References:
    """Runs of the null ACS and of the storage limit, gathered run by run."""

    null: Server
    storage_url: str
    saturated: list[LoadRun] = field(default_factory=list)
    halves: list[LoadRun] = field(default_factory=list)
    storage: dict[str, list[float]] = field(default_factory=dict)

    def null_run(self, ctx: Context, rate: float, *, saturated: bool) -> None:
        """One null ACS run at `rate` (its saturation runs, or the ACS's half rate)."""
        run = load_run(
            self.null, None, devices=ctx.plan.sim_devices, rate=rate, seconds=ctx.plan.seconds
        )
        (self.saturated if saturated else self.halves).append(run)
        say(f"null ACS at {rate:.0f}/s: {run.result.sessions_per_second:g} sessions/s")

    def storage_run(self, ctx: Context) -> None:
        """One run of every storage limit variant."""
        args = ("--url", self.storage_url, "--seconds", f"{ctx.plan.storage_seconds:g}")
        for line in run_json("storage_limit.py", *args, "--threads", POOL_SIZE):
            rate = float(str(line["rows_per_second"]))
            self.storage.setdefault(str(line["variant"]), []).append(rate)
        say(f"storage limit: { {k: v[-1] for k, v in self.storage.items()} }")

    def fill(self, ctx: Context) -> None:
        """Put the medians beside the rows they are references for."""
        rows, plan = ctx.rows, ctx.plan
        if self.saturated:
            rate = median([r.result.sessions_per_second for r in self.saturated]) or 0
            rows["1a"].null_acs = Reference(rate, "sessions/s", f"{plan.null_rate:g}/s offered")
            rows["2"].null_acs = Reference(rate, "sessions/s", "no work")
            rows["1a"].profile = f"Null ACS: {cpu_detail(self.saturated)}\n" + rows["1a"].profile
            rows["1a"].detail += f" {ceiling(self.saturated, ctx.saturated)}"
        if self.halves:
            p99 = median([r.result.session_ms.p99 or 0 for r in self.halves]) or 0
            rows["1b"].null_acs = Reference(p99, "ms", "same offered rate")
        peaks = worker_peak(self.saturated + self.halves, self.null)
        if peaks:
            rows["7a"].null_acs = Reference(median(peaks) or 0, "MB")
        if self.storage:
            self._fill_storage(ctx)

    def _fill_storage(self, ctx: Context) -> None:
        rows = ctx.rows
        medians = {variant: median(values) or 0 for variant, values in self.storage.items()}
        locked = next(v for k, v in medians.items() if "1 row" in k and "LOCK" in k)
        batched = next(v for k, v in medians.items() if "100 rows" in k)
        rows["1a"].storage = Reference(locked, "rows/s", "1 row/txn + LOCK")
        rows["2"].storage = Reference(locked / 3, "sessions/s", "LOCKed txns ÷ 3 per session")
        rows["5b"].storage = Reference(batched, "rows/s", "100 rows/txn")
        listing = "; ".join(f"{k}: {number(v)} rows/s" for k, v in medians.items())
        rows["1a"].detail += (
            f" Storage limit (2 processes x {POOL_SIZE} connections, each run right after an "
            f"ACS run): {listing}."
        )


def unchanged_bytes(ctx: Context) -> None:
    """6a: truly unchanged periodic Informs inserted directly, bytes per Inform."""
    from bench.storage import unchanged_inform_bytes  # noqa: PLC0415

    with scratch_database("bytes") as url:
        results = [unchanged_inform_bytes(url) for _ in range(ctx.plan.runs)]
    row = ctx.rows["6a"]
    row.runs = [r.bytes_per_inform for r in results]
    r = results[0]
    row.detail = (
        f"{r.informs:,} unchanged periodic InformReceived events (receive_inform + to_stored) "
        f"COPYed into a copy of device_events: JSON {r.json_bytes:.0f} B, heap "
        f"{r.heap_bytes:.0f} B, indexes {r.index_bytes:.0f} B per Inform (after VACUUM)."
    )
    row.profile = row.detail
    ctx.rows["6b"].storage = Reference(r.bytes_per_inform, "B", "unchanged row")
