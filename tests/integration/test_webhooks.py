"""Webhooks on real PostgreSQL: configuration, and delivery driven by the event log, with a
fake receiver in place of HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from acs.adapters.webhook_http import PostResult
from acs.api.services import Services
from acs.api.webhooks import build_delivery
from acs.application.webhook_delivery import WebhookDelivery
from acs.domain.tasks import GetParams
from acs.domain.webhooks import WebhookSpecError, verify
from tests.support.cpe import SimulatedCpe
from tests.support.driver import run_session

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
SECRET = "hush"


@dataclass
class FakeReceiver:
    """Answers 503 while `down`, else 200 and keeps what it received."""

    down: bool = False
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    refused: int = 0

    def __call__(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> PostResult:
        if self.down:
            self.refused += 1
            return PostResult(ok=False, status=503, error="HTTP 503")
        self.requests.append((headers, body))
        return PostResult(ok=True, status=204)

    def events(self) -> list[dict]:
        return [e for _, body in self.requests for e in json.loads(body)["events"]]


@pytest.fixture
def receiver() -> FakeReceiver:
    return FakeReceiver()


@pytest.fixture
def delivery(services: Services, receiver: FakeReceiver) -> Iterator[WebhookDelivery]:
    built = build_delivery(services)
    built.post, built.retry_base, built.retry_max = receiver, 0.0, 0.0
    yield built
    built.stop()


def sessions(services: Services, devices: int = 2, prefix: str = "W") -> list[SimulatedCpe]:
    cpes = [SimulatedCpe("http://127.0.0.1:1/cwmp", serial=f"{prefix}{n}") for n in range(devices)]
    for cpe in cpes:
        run_session(services.cwmp, cpe)
        services.commands.queue_task(cpe.device_id, GetParams(names=(SW,)), "tester")
        run_session(services.cwmp, cpe)
    return cpes


def test_a_webhook_is_created_listed_and_deleted_with_its_actor(services: Services) -> None:
    hook = services.webhooks.create("https://example.net/h", ["TaskCompleted"], SECRET, "ann")
    assert (hook.url, hook.event_types, hook.actor) == (
        "https://example.net/h",
        ["TaskCompleted"],
        "ann",
    )
    assert [h.id for h in services.webhooks.all()] == [hook.id]
    assert services.webhooks.get(hook.id) == hook
    assert services.webhooks.delete(hook.id, "bob")
    assert services.webhooks.get(hook.id) is None and services.webhooks.all() == []
    assert not services.webhooks.delete(hook.id, "bob")
    with services.pool.connection() as conn:
        row = conn.execute(
            "SELECT actor, deleted_by, deleted_at IS NOT NULL, sealed_secret FROM webhooks"
        ).fetchone()
    assert row is not None and row[:3] == ("ann", "bob", True)
    assert SECRET not in row[3] and services.webhooks.box.open(row[3]) == SECRET


def test_invalid_webhooks_are_refused(services: Services) -> None:
    for url, types, secret in (
        ("ftp://x/y", [], SECRET),
        ("http://x/y", ["NoSuchEvent"], SECRET),
        ("http://x/y", [], ""),
    ):
        with pytest.raises(WebhookSpecError):
            services.webhooks.create(url, types, secret, "ann")
    assert services.webhooks.all() == []


def test_a_new_webhook_receives_only_the_events_after_its_creation(
    services: Services, delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    sessions(services, devices=1, prefix="OLD")
    hook = services.webhooks.create("http://127.0.0.1:1/h", [], SECRET, "ann")
    assert hook.status.position == services.store.max_position()
    (new,) = sessions(services, devices=1, prefix="NEW")
    services.projector.catch_up()
    delivery.run_once()
    received = receiver.events()
    assert received and all(e["id"] > hook.status.position for e in received)
    assert {e["device_id"] for e in received} == {new.device_id}


def test_a_receiver_that_was_down_gets_every_event_in_order_once_it_is_back(
    services: Services, delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    hook = services.webhooks.create("http://127.0.0.1:1/h", [], SECRET, "ann")
    cpes = sessions(services, devices=3)
    services.projector.catch_up()
    receiver.down = True
    delivery.run_once()
    status = services.webhooks.get(hook.id)
    assert status is not None and status.status.failures == 1
    assert status.status.last_http_status == 503 and status.status.last_error == "HTTP 503"
    assert status.status.pending_events == services.store.max_position() - hook.status.position
    receiver.down = False
    delivery.run_once()
    positions = [e["id"] for e in receiver.events()]
    assert positions == list(range(hook.status.position + 1, services.store.max_position() + 1))
    assert {e["device_id"] for e in receiver.events()} == {c.device_id for c in cpes}
    caught_up = services.webhooks.get(hook.id)
    assert caught_up is not None and caught_up.status.failures == 0
    assert caught_up.status.pending_events == 0 and caught_up.status.last_error is None


def test_each_request_is_signed_and_names_its_webhook_and_positions(
    services: Services, delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    hook = services.webhooks.create("http://127.0.0.1:1/h", [], SECRET, "ann")
    sessions(services, devices=1)
    services.projector.catch_up()
    delivery.run_once()
    assert receiver.requests
    for headers, body in receiver.requests:
        assert verify(SECRET, body, headers["X-ACS-Signature"])
        events = json.loads(body)["events"]
        assert headers["X-ACS-Webhook"] == hook.id
        assert headers["X-ACS-Delivery"] == f"{hook.id}:{events[0]['id']}-{events[-1]['id']}"


def test_batches_hold_at_most_100_events(
    services: Services, delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    services.webhooks.create("http://127.0.0.1:1/h", [], SECRET, "ann")
    sessions(services, devices=30)
    services.projector.catch_up()
    delivery.run_once()
    sizes = [len(json.loads(body)["events"]) for _, body in receiver.requests]
    assert len(sizes) > 1 and max(sizes) == 100
    positions = [e["id"] for e in receiver.events()]
    assert positions == sorted(set(positions))


def test_a_filtered_webhook_receives_only_its_types_and_moves_past_the_others(
    services: Services, delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    hook = services.webhooks.create("http://127.0.0.1:1/h", ["TaskCompleted"], SECRET, "ann")
    sessions(services, devices=2)
    services.projector.catch_up()
    delivery.run_once()
    assert [e["type"] for e in receiver.events()] == ["TaskCompleted", "TaskCompleted"]
    assert all(e["data"]["result"]["values"] for e in receiver.events())
    moved = services.webhooks.get(hook.id)
    assert moved is not None and moved.status.position == services.store.max_position()


def test_deliveries_never_run_ahead_of_the_read_model(
    services: Services, delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    services.webhooks.create("http://127.0.0.1:1/h", [], SECRET, "ann")
    sessions(services, devices=1)
    delivery.run_once()
    assert receiver.requests == []
    services.projector.run_once(batch=3)
    delivery.run_once()
    assert [e["id"] for e in receiver.events()] == [1, 2, 3]


def test_a_failed_attempt_waits_its_backoff_before_the_next(
    services: Services, delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    hook = services.webhooks.create("http://127.0.0.1:1/h", [], SECRET, "ann")
    sessions(services, devices=1)
    services.projector.catch_up()
    delivery.retry_base, delivery.retry_max = 60.0, 300.0
    receiver.down = True
    delivery.run_once()
    delivery.run_once()
    assert receiver.refused == 1
    status = services.webhooks.get(hook.id)
    assert status is not None and status.status.next_attempt_at is not None
    assert status.status.last_attempt_at is not None
    waited = status.status.next_attempt_at - status.status.last_attempt_at
    assert 59 <= waited.total_seconds() <= 61


def test_a_deleted_webhook_receives_nothing_more(
    services: Services, delivery: WebhookDelivery, receiver: FakeReceiver
) -> None:
    hook = services.webhooks.create("http://127.0.0.1:1/h", [], SECRET, "ann")
    services.webhooks.delete(hook.id, "bob")
    sessions(services, devices=1)
    services.projector.catch_up()
    delivery.run_once()
    assert receiver.requests == []
