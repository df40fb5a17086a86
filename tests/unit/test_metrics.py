"""Metrics, the parts without a database: counter folding, exposition text, the histogram."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from acs.api.metrics import DatabaseCollector, HttpMetrics
from acs.domain.events import (
    ConnectionRequested,
    DeviceEvent,
    InformReceived,
    RpcAnswered,
    RpcFaulted,
    RpcSent,
    TaskCompleted,
    TaskFaulted,
)
from acs.projections import counters
from acs.projections.metrics import Counter, MetricsSnapshot

AT = datetime(2025, 1, 1, tzinfo=UTC)
DEVICE = uuid4()


def base(version: int) -> dict[str, Any]:
    return {"originator_id": DEVICE, "originator_version": version, "timestamp": AT}


def fold_all(events: list[DeviceEvent]) -> counters.Counters:
    found: counters.Counters = {}
    for event in events:
        counters.fold(found, event)
    return found


def test_an_inform_counts_a_session_and_each_of_its_event_codes_once() -> None:
    found = fold_all([
        InformReceived(**base(1), event_codes=("0 BOOTSTRAP", "1 BOOT", "1 BOOT")),
        InformReceived(**base(2), event_codes=("2 PERIODIC",)),
    ])  # fmt: skip
    assert found == {
        (counters.SESSIONS, ()): 2,
        (counters.INFORMS, (("event_code", "0 BOOTSTRAP"),)): 1,
        (counters.INFORMS, (("event_code", "1 BOOT"),)): 1,
        (counters.INFORMS, (("event_code", "2 PERIODIC"),)): 1,
    }


def test_rpcs_faults_connection_requests_and_finished_tasks_are_counted_by_label() -> None:
    found = fold_all([
        RpcSent(**base(1), task_id="a", method="GetParameterValues", session_id="s"),
        RpcSent(**base(2), task_id="b", method="GetParameterValues", session_id="s"),
        RpcAnswered(**base(3), task_id="a", method="GetParameterValues"),
        RpcFaulted(**base(4), task_id="b", method="GetParameterValues", fault_code=9005,
                   fault_string="bad name"),
        ConnectionRequested(**base(5), url="http://cpe", outcome="unreachable"),
        TaskCompleted(**base(6), task_id="a"),
        TaskFaulted(**base(7), task_id="b"),
    ])  # fmt: skip
    assert found == {
        (counters.RPCS, (("method", "GetParameterValues"),)): 2,
        (counters.CPE_FAULTS, (("code", "9005"), ("method", "GetParameterValues"))): 1,
        (counters.CONNECTION_REQUESTS, (("outcome", "unreachable"),)): 1,
        (counters.TASKS_FINISHED, (("status", "done"),)): 1,
        (counters.TASKS_FINISHED, (("status", "fault"),)): 1,
    }


def snapshot() -> MetricsSnapshot:
    return MetricsSnapshot(
        counters=[
            Counter(counters.SESSIONS, {}, 7),
            Counter(counters.INFORMS, {"event_code": "0 BOOTSTRAP"}, 3),
            Counter(counters.CPE_FAULTS, {"method": "GetParameterValues", "code": "9005"}, 1),
            Counter(counters.CONNECTION_REQUESTS, {"outcome": "ok"}, 2),
        ],
        open_tasks={"pending": 4, "sent": 1},
        devices_online=3,
        devices_offline=1,
        open_sessions=0,
        events=120,
        lag_events=2,
        lag_seconds=0.25,
    )


def exposition(collector: DatabaseCollector) -> dict[str, Any]:
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(family: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for s in family.samples}


def test_the_database_metrics_render_as_parseable_prometheus_text() -> None:
    families = exposition(DatabaseCollector(snapshot(), [("hook1", 3, 40)]))
    assert families["acs_sessions"].type == "counter"
    assert samples(families["acs_sessions"]) == {("acs_sessions_total", ()): 7}
    assert samples(families["acs_cpe_faults"]) == {
        ("acs_cpe_faults_total", (("code", "9005"), ("method", "GetParameterValues"))): 1
    }
    assert samples(families["acs_tasks"]) == {
        ("acs_tasks", (("status", "pending"),)): 4,
        ("acs_tasks", (("status", "sent"),)): 1,
    }
    assert samples(families["acs_devices"]) == {
        ("acs_devices", (("state", "online"),)): 3,
        ("acs_devices", (("state", "offline"),)): 1,
    }
    assert samples(families["acs_projection_lag_seconds"]) == {
        ("acs_projection_lag_seconds", ()): 0.25
    }
    assert samples(families["acs_projection_lag_events"]) == {("acs_projection_lag_events", ()): 2}
    assert samples(families["acs_webhook_lag_events"]) == {
        ("acs_webhook_lag_events", (("webhook", "hook1"),)): 40
    }


def test_every_counter_family_is_there_before_its_first_count() -> None:
    empty = MetricsSnapshot([], {"pending": 0, "sent": 0}, 0, 0, 0, 0, 0, 0.0)
    families = exposition(DatabaseCollector(empty, []))
    for name in ("acs_informs", "acs_rpcs", "acs_cpe_faults", "acs_connection_requests"):
        assert families[name].type == "counter"
    assert samples(families["acs_sessions"]) == {("acs_sessions_total", ()): 0}


def test_the_middleware_times_requests_by_method_route_template_and_status_class() -> None:
    http = HttpMetrics()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Any) -> None:
        return None

    scope = {"type": "http", "method": "GET", "path_template": "/api/tasks/{task_id}"}
    timed = http.middleware(app)
    for _ in range(3):
        asyncio.run(timed(scope, None, send))  # type: ignore[arg-type]
    text = generate_latest(http.registry()).decode()
    family = next(iter(text_string_to_metric_families(text)))
    assert family.name == "acs_http_request_duration_seconds" and family.type == "histogram"
    counts = [s for s in family.samples if s.name.endswith("_count")]
    assert [(s.labels, s.value) for s in counts] == [
        ({"method": "GET", "route": "/api/tasks/{task_id}", "status": "4xx"}, 3.0)
    ]
