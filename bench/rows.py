"""The rows of the table: one per performance target, with its goal (data, filled by scenarios)."""

from __future__ import annotations

from bench.plan import Plan
from bench.report import Goal, Row


def empty_rows(plan: Plan) -> dict[str, Row]:
    """Every row, keyed by its number, before anything is measured."""
    fleet = f"{plan.fleet_devices:,}"
    rows = [
        Row(
            key="1a",
            target="periodic sessions/s at saturation, each Inform durable before its response",
            unit="sessions/s",
            goal=Goal(">=", 1000, "sessions/s"),
        ),
        Row(
            key="1b",
            target="p99 session time at half the saturation rate",
            unit="ms",
            goal=Goal("<=", 100, "ms"),
        ),
        Row(
            key="2",
            target="sessions with work (one GPV or SPV task each) per second",
            unit="sessions/s",
            goal=Goal(">=", 400, "sessions/s"),
        ),
        Row(
            key="3",
            target="cost per Inform, device with 10,000 events ÷ new device (p50 session time)",
            unit="x",
            goal=Goal("<=", 1.10, "x"),
        ),
        Row(
            key="4a",
            target=f"Inform throughput, {fleet} devices stored ÷ {plan.fleet_small:,} stored",
            unit="x",
            goal=Goal(">=", 0.85, "x"),
        ),
        Row(
            key="4b",
            target=f"GET /api/devices filtered by a parameter value, paginated (cursor pages "
            f"from random devices), p99 ({fleet})",
            unit="ms",
            goal=Goal("<=", 50, "ms"),
        ),
        Row(
            key="4c",
            target=f"GET /api/devices?limit=50, no filter, cursor pages from random devices, "
            f"p99 ({fleet})",
            unit="ms",
            goal=Goal("<=", 50, "ms"),
        ),
        Row(
            key="4d",
            target=f"GET /api/devices/{{id}} p99 ({fleet})",
            unit="ms",
            goal=Goal("<=", 20, "ms"),
        ),
        Row(
            key="4e",
            target=f"the filtered search of 4b at a random offset= (rows skipped), p99 ({fleet})",
            unit="ms",
        ),
        Row(
            key="4f",
            target=f"counting the total of the filtered search of 4b in SQL, uncached ({fleet})",
            unit="ms",
        ),
        Row(
            key="4g",
            target=f"dashboard device list (/devices, HTML, 100 rows) filtered by the "
            f"parameter value of 4b, cursor pages from random devices, p99 ({fleet})",
            unit="ms",
            goal=Goal("<=", 300, "ms"),
        ),
        Row(
            key="5a",
            target=f"projection lag p99 at the target rate ({plan.target_rate:g} sessions/s)",
            unit="s",
            goal=Goal("<=", 1, "s"),
        ),
        Row(
            key="5b",
            target="catch-up of a rebuilt projection (batched transactions)",
            unit="events/s",
            goal=Goal(">=", 20_000, "events/s"),
        ),
        Row(
            key="6a",
            target="bytes per periodic Inform with no changed parameter, indexes included",
            unit="B",
            goal=Goal("<=", 400, "B"),
        ),
        Row(
            key="6b",
            target="bytes per simulator Inform (its counters change), event store",
            unit="B",
        ),
        Row(key="7a", target="worker RSS, max", unit="MB", goal=Goal("<=", 250, "MB")),
        Row(
            key="7b",
            target=f"worker RSS growth over a {plan.soak_seconds:g} s soak",
            unit="%",
            goal=Goal("<=", 5, "%"),
        ),
    ]
    return {row.key: row for row in rows}
