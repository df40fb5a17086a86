"""Latency of the read API against a running server: p50/p99 of a bounded number of requests.

Pages of `GET /api/devices?limit=50` reached by cursor (the API's pagination: each request
starts at a random device, as a walk through the fleet would), the same filtered by a
parameter value when the server supports it (checked, never assumed), the filtered search
at a random `offset=` (skipping rows, for comparison), and `GET /api/devices/{id}` for
random devices; and the dashboard's device list (`/devices`, HTML, its default page of 100
rows) by cursor, unfiltered and filtered by the same parameter value:
`python bench/api_latency.py --url http://127.0.0.1:P --devices N [--requests 2000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final
from urllib.parse import quote

import httpx
import msgspec

FILTER_NAME: Final = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
FILTER_VALUE: Final = "V100R001IRQC56B018"
PAGE: Final = 50
TIME_LIMIT: Final = 30.0
"""Seconds one kind of request may take in all; fewer requests are made beyond it."""


class Latency(msgspec.Struct, frozen=True):
    """Milliseconds of one kind of request; `available` False when the server lacks it."""

    requests: int
    p50_ms: float | None
    p99_ms: float | None
    errors: int = 0
    available: bool = True


class ApiLatency(msgspec.Struct, frozen=True):
    """The kinds of request."""

    list_page: Latency
    list_filtered: Latency
    get_device: Latency
    filtered_offset: Latency
    dashboard_page: Latency = Latency(0, None, None, available=False)
    dashboard_filtered: Latency = Latency(0, None, None, available=False)


def _percentiles(samples: list[float]) -> tuple[float | None, float | None]:
    if len(samples) < 2:
        return (samples[0], samples[0]) if samples else (None, None)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return round(cuts[49], 2), round(cuts[98], 2)


def measure(client: httpx.Client, requests: int, path_for: Callable[[int], str]) -> Latency:
    """Time `requests` sequential GETs (bounded by TIME_LIMIT); non-200 answers are errors."""
    samples: list[float] = []
    errors = 0
    deadline = time.monotonic() + TIME_LIMIT
    for n in range(requests):
        if time.monotonic() > deadline:
            break
        began = time.perf_counter()
        response = client.get(path_for(n))
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code == 200:
            samples.append(elapsed)
        else:
            errors += 1
    p50, p99 = _percentiles(samples)
    return Latency(len(samples) + errors, p50, p99, errors)


def filter_supported(client: httpx.Client) -> bool:
    """Whether `param.<name>=value` really filters (unknown query parameters are ignored)."""
    response = client.get(
        "/api/devices", params={f"param.{FILTER_NAME}": FILTER_VALUE, "limit": 50}
    )
    if response.status_code != 200:
        return False
    devices = response.json()
    values = {device.get("software_version") for device in devices}
    return bool(devices) and values == {FILTER_VALUE}


def run(
    url: str, devices: int, requests: int, seed: int = 0, headers: dict[str, str] | None = None
) -> ApiLatency:
    """Measure the three kinds of request."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling
    from acs.projections.device_filter import Cursor, encode_cursor  # noqa: PLC0415
    from bench.inform_events import public_id  # noqa: PLC0415 - light import for the CLI

    def anywhere() -> str:
        return encode_cursor(Cursor("id", None, public_id(rng.randrange(devices))))

    def page(_: int) -> str:
        return f"/api/devices?limit={PAGE}&cursor={anywhere()}"

    def filtered(_: int) -> str:
        return f"/api/devices?param.{FILTER_NAME}={FILTER_VALUE}&limit={PAGE}&cursor={anywhere()}"

    def filtered_at_offset(_: int) -> str:
        offset = rng.randrange(max(1, devices // 3 - PAGE))
        return f"/api/devices?param.{FILTER_NAME}={FILTER_VALUE}&limit={PAGE}&offset={offset}"

    def dashboard(_: int) -> str:
        return f"/devices?cursor={anywhere()}"

    def dashboard_filtered(_: int) -> str:
        return f"/devices?param.{FILTER_NAME}={FILTER_VALUE}&cursor={anywhere()}"

    def device(_: int) -> str:
        return f"/api/devices/{quote(public_id(rng.randrange(devices)), safe='')}"

    with httpx.Client(base_url=url, timeout=30, trust_env=False, headers=headers) as client:
        client.get("/api/devices?limit=1")  # connect
        missing = Latency(0, None, None, available=False)
        with_filter = at_offset = dashboard_with_filter = missing
        if filter_supported(client):
            with_filter = measure(client, requests, filtered)
            at_offset = measure(client, requests, filtered_at_offset)
            dashboard_with_filter = measure(client, requests // 2, dashboard_filtered)
        return ApiLatency(
            measure(client, requests, page),
            with_filter,
            measure(client, requests, device),
            at_offset,
            measure(client, requests // 2, dashboard),
            dashboard_with_filter,
        )


def main(argv: list[str] | None = None) -> None:
    """Print the latencies as JSON."""
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--url", required=True, help="http://127.0.0.1:PORT of a running server")
    cli.add_argument("--devices", type=int, required=True, help="devices in the store")
    cli.add_argument("--requests", type=int, default=2000)
    cli.add_argument("--api-key", default=os.environ.get("ACS_API_KEY", ""), help="viewer key")
    args = cli.parse_args(argv)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else None
    latency = run(args.url, args.devices, args.requests, headers=headers)
    print(json.dumps(msgspec.to_builtins(latency)))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
