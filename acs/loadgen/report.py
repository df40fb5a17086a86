"""The summary of a run (the JSON contract with the benchmark harness), its table, progress."""

from __future__ import annotations

from typing import Any

from acs.loadgen.stats import LatencyHistogram, RunStats

SUMMARY_KEYS = (
    "devices",
    "target_rate",
    "duration_s",
    "sessions",
    "sessions_per_second",
    "late",
    "errors",
    "error_kinds",
    "session_ms",
    "rpcs",
    "tasks_created",
    "projection_lag_s",
    "server_rss_mb",
)
"""The keys of `acs simulate --json`, in order."""


def session_percentiles(histogram: LatencyHistogram) -> dict[str, float | None]:
    """p50, p95, p99 and max of the session wall times in ms (None without sessions)."""
    values = {f"p{p}": histogram.percentile(p) for p in (50, 95, 99)}
    values["max"] = histogram.max if histogram.count else None
    return {key: None if value is None else round(value, 2) for key, value in values.items()}


def summary(
    stats: RunStats,
    *,
    devices: int,
    target_rate: float,
    duration: float,
    elapsed: float,
    projection_lag: dict[str, float] | None,
    server_rss: dict[str, Any] | None,
) -> dict[str, Any]:
    """The run's summary; `elapsed` is the wall time from the start to the end of the drain."""
    lag = None if projection_lag is None else {k: round(v, 3) for k, v in projection_lag.items()}
    return {
        "devices": devices,
        "target_rate": target_rate,
        "duration_s": duration,
        "sessions": stats.sessions,
        "sessions_per_second": round(stats.sessions / elapsed, 2) if elapsed > 0 else 0.0,
        "late": stats.late,
        "errors": stats.error_count,
        "error_kinds": dict(sorted(stats.errors.items())),
        "session_ms": session_percentiles(stats.session_ms),
        "rpcs": dict(sorted(stats.rpcs.items())),
        "tasks_created": stats.tasks_created,
        "projection_lag_s": lag,
        "server_rss_mb": server_rss,
    }


def table(result: dict[str, Any]) -> str:
    """The summary as a human-readable table."""
    ms = result["session_ms"]
    rows = [
        ("devices", str(result["devices"])),
        ("target rate", f"{result['target_rate']:g} sessions/s for {result['duration_s']:g} s"),
        ("sessions", f"{result['sessions']} ({result['sessions_per_second']:g}/s)"),
        ("late", str(result["late"])),
        ("errors", f"{result['errors']} {_pairs(result['error_kinds'])}".rstrip()),
        ("session ms", _pairs(ms) or "-"),
        ("rpcs", _pairs(result["rpcs"]) or "-"),
        ("tasks created", str(result["tasks_created"])),
        ("projection lag s", _pairs(result["projection_lag_s"] or {}) or "n/a"),
        ("server rss MB", _rss(result["server_rss_mb"])),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _pairs(values: dict[str, Any]) -> str:
    """`k=v` pairs."""
    return " ".join(f"{key}={'-' if value is None else value}" for key, value in values.items())


def _rss(rss: dict[str, Any] | None) -> str:
    """The RSS line: total, then each process."""
    if rss is None:
        return "n/a"
    total = f"total start={rss['start']} end={rss['end']} max={rss['max']}"
    each = [f"pid {pid} max={span['max']}" for pid, span in rss["per_process"].items()]
    return "; ".join([total, *each])


def progress_line(stats: RunStats, elapsed: float, duration: float) -> str:
    """The progress line: elapsed, sessions, rate, late, errors, p99 so far."""
    p99 = stats.session_ms.percentile(99)
    rate = stats.sessions / elapsed if elapsed > 0 else 0.0
    return (
        f"\r{elapsed:6.1f}/{duration:g}s  sessions {stats.sessions}  {rate:7.1f}/s  "
        f"late {stats.late}  errors {stats.error_count}  "
        f"p99 {'-' if p99 is None else f'{p99:.1f}'} ms   "
    )
