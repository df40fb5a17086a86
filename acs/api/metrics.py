"""`GET /metrics` in the Prometheus text format, and the HTTP latency histogram behind it.

Counters and gauges come from the database, so any worker reports the whole ACS. HTTP
latency and failed CPE authentications are measured by each worker; with
`PROMETHEUS_MULTIPROC_DIR` set (`acs serve` sets it for its workers) those of all workers are
added up, else they are this process's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from litestar import get
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client import Counter as PrometheusCounter
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from acs.adapters.metrics_dir import MULTIPROC_DIR
from acs.api.services import Services
from acs.projections.counters import (
    CONNECTION_REQUESTS,
    CPE_FAULTS,
    INFORMS,
    RPCS,
    SESSIONS,
    TASKS_FINISHED,
)
from acs.projections.metrics import Counter, MetricsSnapshot, read_metrics

CONTENT_TYPE = "text/plain; version=0.0.4"
"""The text format; Litestar adds `charset=utf-8`."""
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    SESSIONS: ("CWMP sessions opened (Informs accepted)", ()),
    INFORMS: ("Informs received, by event code", ("event_code",)),
    RPCS: ("RPCs sent to CPEs, by method", ("method",)),
    CPE_FAULTS: ("CWMP faults CPEs answered, by method and fault code", ("method", "code")),
    CONNECTION_REQUESTS: ("Connection requests sent, by outcome", ("outcome",)),
    TASKS_FINISHED: ("Tasks finished, by status (done, fault or expired)", ("status",)),
}
"""Every counter the projection keeps: help text and label names."""

CWMP_AUTH_FAILURES = PrometheusCounter(
    "acs_cwmp_auth_failures",
    "Failed CPE authentications on /cwmp, by reason",
    ("reason",),
    registry=None,
)
"""Counted by the worker that refused the request, added up like the HTTP histogram."""


class HttpMetrics:
    """The request duration histogram, by method, route template and status class."""

    def __init__(self) -> None:
        self.histogram = Histogram(
            "acs_http_request_duration_seconds",
            "HTTP request duration, by method, route template and status class",
            ("method", "route", "status"),
            registry=None,
            buckets=BUCKETS,
        )
        self._children: dict[tuple[str, str, int], Histogram] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Record one request."""
        route = str(scope.get("path_template") or "unmatched")
        key = (str(scope.get("method", "")), route, status // 100)
        child = self._children.get(key)
        if child is None:  # the histogram keeps each child too: this only skips its lookup
            child = self._children[key] = self.histogram.labels(key[0], route, f"{key[2]}xx")
        child.observe(seconds)

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """An ASGI middleware that times every HTTP request to its last byte."""

        async def timed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            start, status = time.perf_counter(), [500]

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status[0] = int(message["status"])
                await send(message)

            try:
                await app(scope, receive, sending)
            finally:
                self.observe(scope, status[0], time.perf_counter() - start)

        return timed

    def registry(self) -> CollectorRegistry:
        """A registry holding the histogram: every worker's, or this process's."""
        registry = CollectorRegistry(auto_describe=True)
        if os.environ.get(MULTIPROC_DIR):
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry.register(self.histogram)
            registry.register(CWMP_AUTH_FAILURES)
        return registry


class DatabaseCollector(Collector):
    """The counters and gauges read from the database."""

    def __init__(self, snapshot: MetricsSnapshot, webhooks: list[tuple[str, int, int]]) -> None:
        self.snapshot, self.webhooks = snapshot, webhooks

    def collect(self) -> Iterator[Metric]:
        """Every family, counters first."""
        yield from counter_families(self.snapshot.counters)
        yield from gauge_families(self.snapshot)
        yield from webhook_families(self.webhooks)


def counter_families(counters: list[Counter]) -> Iterator[Metric]:
    """Each counter family the projection keeps, present even before its first count."""
    for name, (documentation, labels) in COUNTERS.items():
        family = CounterMetricFamily(name, documentation, labels=labels)
        rows = [c for c in counters if c.name == name]
        for row in rows:
            family.add_metric([row.labels.get(label, "") for label in labels], row.value)
        if not rows and not labels:
            family.add_metric([], 0)
        yield family


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def gauge_families(snapshot: MetricsSnapshot) -> Iterator[Metric]:
    """Tasks, devices, sessions and the projection's lag, as they stand."""
    tasks = GaugeMetricFamily("acs_tasks", "Tasks not finished, by status", labels=("status",))
    for status, count in snapshot.open_tasks.items():
        tasks.add_metric([status], count)
    devices = GaugeMetricFamily("acs_devices", "Devices, online or offline", labels=("state",))
    devices.add_metric(["online"], snapshot.devices_online)
    devices.add_metric(["offline"], snapshot.devices_offline)
    yield from (tasks, devices)
    yield _gauge("acs_sessions_open", "CWMP sessions open now", snapshot.open_sessions)
    yield CounterMetricFamily("acs_events", "Events stored", value=snapshot.events)
    behind = "Events not applied to the read model yet"
    yield _gauge("acs_projection_lag_events", behind, snapshot.lag_events)
    late = "How far the read model runs behind, in seconds"
    yield _gauge("acs_projection_lag_seconds", late, snapshot.lag_seconds)


def webhook_families(webhooks: list[tuple[str, int, int]]) -> Iterator[Metric]:
    """Each webhook's failures in a row and events behind the head of the log."""
    labels = ("webhook",)
    failures = GaugeMetricFamily(
        "acs_webhook_failures", "Failed attempts in a row, by webhook", labels=labels
    )
    lag = GaugeMetricFamily(
        "acs_webhook_lag_events", "Events in the log after the webhook's position", labels=labels
    )
    for webhook, failed, behind in webhooks:
        failures.add_metric([webhook], failed)
        lag.add_metric([webhook], behind)
    yield from (failures, lag)


def render(services: Services, http: HttpMetrics) -> bytes:
    """The exposition text (blocking: reads the database)."""
    registry = http.registry()
    snapshot = read_metrics(services.pool, services.read)
    registry.register(DatabaseCollector(snapshot, services.webhooks.store.lag()))
    return generate_latest(registry)


def metrics_endpoint(http: HttpMetrics) -> HTTPRouteHandler:
    """The `GET /metrics` handler, reporting this app's HTTP histogram."""

    @get("/metrics", include_in_schema=False, tags=["stats"])
    async def metrics(services: Services) -> Response[bytes]:
        """Counters and gauges in the Prometheus text format (version 0.0.4)."""
        body = await services.run(render, services, http)
        return Response(body, media_type=CONTENT_TYPE)

    return metrics
