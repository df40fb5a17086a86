"""`make bench`: every scenario on fresh databases, then one table of medians beside the null
ACS and the storage limit, with a profile under every target not met.

    python bench/run.py [--write-readme] [--only periodic,bytes,history,fleet,catchup]

Knobs (environment): BENCH_RUNS (3), BENCH_DEVICES (100000), BENCH_SOAK_SECONDS (600),
BENCH_SECONDS (20, each load run), BENCH_QUICK=1 (a smoke run of a few minutes).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from bench import references, scenarios, scenarios_more
from bench.plan import plan_from_env
from bench.processes import ADMIN_URL, ROOT
from bench.report import explanations, render, replace_section
from bench.rows import empty_rows

README = ROOT / "bench" / "README.md"
LATEST = ROOT / "bench" / "results" / "latest.md"
PARTS: dict[str, Callable[[scenarios.Context], None]] = {
    "periodic": scenarios.periodic,
    "bytes": references.unchanged_bytes,
    "history": scenarios.history,
    "fleet": scenarios_more.fleet,
    "catchup": scenarios_more.catch_up,
}


def command_line() -> str:
    """The command that reproduces this run."""
    knobs = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_") and v]
    return "make bench" + "".join(f" {knob}" for knob in knobs)


def machine() -> str:
    """Cores, Python and PostgreSQL of this machine."""
    with psycopg.connect(ADMIN_URL) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    version = row[0] if row else "?"
    return (
        f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, PostgreSQL {version} on the same machine"
    )


def _load(ctx: scenarios.Context, name: str) -> str:
    if name not in ctx.loads:
        return ""
    before, after = ctx.loads[name]
    return f" (load {before:.1f} → {after:.1f})"


def document(ctx: scenarios.Context, started: datetime, failures: list[str]) -> str:
    """The section written to results/latest.md and the README."""
    rows = list(ctx.rows.values())
    timings = ", ".join(
        f"{name} {seconds:.0f} s{_load(ctx, name)}" for name, seconds in ctx.timings.items()
    )
    parts = [
        f"Command: `{command_line()}` — {started:%Y-%m-%d %H:%M} UTC, {machine()}.",
        f"Plan: {ctx.plan.runs} runs of {ctx.plan.seconds:g} s per figure, "
        f"{ctx.plan.sim_devices} simulated CPEs, fleet {ctx.plan.fleet_devices:,} devices, "
        f"soak {ctx.plan.soak_seconds:g} s{' (quick mode)' if ctx.plan.quick else ''}.",
        "",
        render(rows),
        "",
        f"Time taken (with the 1-minute load average before → after, 2 = both cores busy): "
        f"{timings}.",
        "",
        "#### Details and profiles",
        "",
        explanations(rows),
    ]
    if failures:
        parts += ["", "#### Failures", "", *(f"```\n{f}\n```" for f in failures)]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts, print the table, write it down."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--write-readme", action="store_true", help="update bench/README.md")
    cli.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run")
    args = cli.parse_args(argv)
    plan = plan_from_env()
    started = datetime.now(UTC)
    logs = Path(tempfile.mkdtemp(prefix="acs_bench_logs_"))
    ctx = scenarios.Context(plan=plan, rows=empty_rows(plan), logs=logs)
    failures = []
    began = time.monotonic()
    for name in args.only.split(","):
        try:
            with ctx.timed(name):
                PARTS[name](ctx)
        except Exception:
            failures.append(f"{name}: {traceback.format_exc()[-3000:]}")
            scenarios.say(f"{name} FAILED (see the report); logs in {logs}")
    ctx.timings["total"] = time.monotonic() - began
    text = document(ctx, started, failures)
    print(text)
    LATEST.parent.mkdir(parents=True, exist_ok=True)
    LATEST.write_text(f"# Latest benchmark\n\n{text}\n")
    if args.write_readme:
        README.write_text(replace_section(README.read_text(), text))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
