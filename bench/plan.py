"""How big and how long each part of the benchmark is: defaults, quick mode, env knobs."""

from __future__ import annotations

import os
from collections.abc import Mapping

import msgspec


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """Every size and duration of one `make bench`."""

    runs: int = 3
    seconds: float = 15.0
    """Length of each measured load run."""
    sim_devices: int = 1000
    """Devices the simulator drives in throughput runs (each informs many times per run)."""
    saturation_rate: float = 2000.0
    null_rate: float = 4000.0
    target_rate: float = 1000.0
    work_rate: float = 1000.0
    fleet_small: int = 10_000
    fleet_devices: int = 100_000
    history_events: int = 10_000
    history_rate: float = 20.0
    catchup_devices: int = 20_000
    catchup_events: int = 10
    soak_seconds: float = 600.0
    api_requests: int = 300
    storage_seconds: float = 5.0
    profile_seconds: float = 15.0
    quick: bool = False


QUICK = Plan(
    seconds=5.0,
    sim_devices=500,
    fleet_small=10_000,
    fleet_devices=20_000,
    catchup_devices=2_000,
    soak_seconds=20.0,
    api_requests=100,
    storage_seconds=2.0,
    profile_seconds=5.0,
    quick=True,
)


def plan_from_env(env: Mapping[str, str] | None = None) -> Plan:
    """The default plan (or the quick one with BENCH_QUICK=1) with the BENCH_* overrides."""
    env = os.environ if env is None else env
    plan = QUICK if env.get("BENCH_QUICK", "") not in ("", "0") else Plan()
    overrides: dict[str, object] = {}
    if env.get("BENCH_RUNS"):
        overrides["runs"] = max(1, int(env["BENCH_RUNS"]))
    if env.get("BENCH_DEVICES"):
        overrides["fleet_devices"] = max(plan.fleet_small + 1, int(env["BENCH_DEVICES"]))
    if env.get("BENCH_SOAK_SECONDS"):
        overrides["soak_seconds"] = max(10.0, float(env["BENCH_SOAK_SECONDS"]))
    if env.get("BENCH_SECONDS"):
        overrides["seconds"] = max(3.0, float(env["BENCH_SECONDS"]))
    return msgspec.structs.replace(plan, **overrides)
