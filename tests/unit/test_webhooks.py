"""Webhooks, the pure part: signatures, retry delays, batches, filters and bodies."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from acs.domain.events import (
    ConnectionRequestCredentialsSet,
    DeviceEvent,
    InformReceived,
    RpcSent,
    TaskCompleted,
    TaskQueued,
)
from acs.domain.tasks import HIDDEN, DownloadTask
from acs.domain.webhooks import (
    EVENT_TYPES,
    MAX_BATCH,
    Batch,
    WebhookSpecError,
    body_of,
    check_event_types,
    check_secret,
    check_url,
    delivery_id,
    retry_delay,
    select_batch,
    sign,
    verify,
)

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
DEVICE = uuid4()


def inform(version: int, device_id: str = "") -> InformReceived:
    return InformReceived(
        originator_id=DEVICE,
        originator_version=version,
        timestamp=AT,
        event_codes=("2 PERIODIC",),
        device_id=device_id,
    )


def completed(version: int) -> TaskCompleted:
    return TaskCompleted(
        originator_id=DEVICE, originator_version=version, timestamp=AT, task_id=f"t{version}"
    )


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b"The quick brown fox jumps over the lazy dog"
    assert sign("key", body) == (
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )
    assert (
        sign("s3cret", b"{}") == "sha256=" + hmac.new(b"s3cret", b"{}", hashlib.sha256).hexdigest()
    )


def test_a_signature_verifies_only_with_its_secret_and_body() -> None:
    signature = sign("secret", b"body")
    assert verify("secret", b"body", signature)
    assert not verify("other", b"body", signature)
    assert not verify("secret", b"body ", signature)


def test_retries_wait_1_2_4_seconds_and_so_on_up_to_the_cap() -> None:
    delays = [retry_delay(n, 1.0, 300.0) for n in range(1, 12)]
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert retry_delay(0, 1.0, 300.0) == 0
    assert retry_delay(1, 0.1, 0.5) == 0.1 and retry_delay(4, 0.1, 0.5) == 0.5


def test_a_huge_number_of_failures_still_waits_the_cap() -> None:
    assert retry_delay(100_000, 1.0, 300.0) == 300.0


def test_a_batch_takes_the_wanted_events_in_log_order_and_skips_the_others() -> None:
    notes: list[tuple[int, DeviceEvent]] = [(10, inform(1)), (11, completed(2)), (12, inform(3))]
    batch = select_batch(9, notes, frozenset({"InformReceived"}))
    assert [p for p, _ in batch.events] == [10, 12]
    assert batch.advance_to == 12


def test_an_empty_filter_wants_every_event() -> None:
    notes: list[tuple[int, DeviceEvent]] = [(1, inform(1)), (2, completed(2))]
    assert [p for p, _ in select_batch(0, notes, frozenset()).events] == [1, 2]


def test_a_batch_stops_at_its_limit_and_advances_only_that_far() -> None:
    notes: list[tuple[int, DeviceEvent]] = [(n, inform(n)) for n in range(1, 251)]
    batch = select_batch(0, notes, frozenset())
    assert len(batch.events) == MAX_BATCH
    assert batch.advance_to == 100
    assert select_batch(100, notes[100:], frozenset(), limit=7).advance_to == 107


def test_unwanted_events_are_skipped_past_without_a_request() -> None:
    notes: list[tuple[int, DeviceEvent]] = [(5, inform(1)), (6, inform(2))]
    batch = select_batch(4, notes, frozenset({"TaskCompleted"}))
    assert batch == Batch((), 6)
    assert select_batch(4, [], frozenset()) == Batch((), 4)


def test_the_delivery_id_names_the_webhook_and_the_positions() -> None:
    batch = Batch(((7, inform(1)), (9, inform(2))), 9)
    assert delivery_id("hook", batch) == "hook:7-9"


def test_the_body_lists_each_event_with_its_position_device_and_all_its_fields() -> None:
    batch = Batch(((41, inform(1, "OUI-PC-SN")), (42, completed(2))), 42)
    body = json.loads(body_of("hook", batch, {DEVICE: "OUI-PC-SN"}))
    assert body["webhook_id"] == "hook" and body["delivery_id"] == "hook:41-42"
    first, second = body["events"]
    assert first == {
        "id": 41,
        "device_id": "OUI-PC-SN",
        "type": "InformReceived",
        "topic": "InformReceived.v1",
        "time": "2025-01-02T03:04:05Z",
        "version": 1,
        "data": first["data"],
    }
    assert first["data"]["event_codes"] == ["2 PERIODIC"]
    assert first["data"]["parameters"] == [] and first["data"]["retry_count"] == 0
    assert "originator_id" not in first["data"]
    assert second["type"] == "TaskCompleted" and second["data"] == {"task_id": "t2", "result": {}}


def test_an_event_of_no_known_device_has_a_null_device_id() -> None:
    body = json.loads(body_of("hook", Batch(((1, completed(1)),), 1), {}))
    assert body["events"][0]["device_id"] is None


def test_sealed_secrets_never_leave_in_a_body() -> None:
    credentials = ConnectionRequestCredentialsSet(
        originator_id=DEVICE,
        originator_version=1,
        timestamp=AT,
        username="acs",
        sealed_password="sealed:v1:abc",
        actor="ops",
    )
    queued = TaskQueued(
        originator_id=DEVICE,
        originator_version=2,
        timestamp=AT,
        task_id="t",
        task=DownloadTask(url="http://files/fw.bin", password="sealed:v1:xyz"),
        actor="ops",
    )
    batch = Batch(((1, credentials), (2, queued)), 2)
    raw = body_of("hook", batch, {DEVICE: "D"})
    assert b"sealed:" not in raw
    events = json.loads(raw)["events"]
    assert events[0]["data"]["sealed_password"] == HIDDEN
    assert events[1]["data"]["task"]["password"] == HIDDEN
    assert events[1]["data"]["task"]["url"] == "http://files/fw.bin"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "https://hooks.example.net/acs?x=1", "http://[::1]/h"]
)
def test_http_and_https_urls_are_accepted(url: str) -> None:
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url",
    ["ftp://example.net/x", "file:///etc/passwd", "example.net/hook", "http://", "",
     "http://host:99999/", "javascript:alert(1)", "http://" + "a" * 3000],
)  # fmt: skip
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(WebhookSpecError):
        check_url(url)


def test_event_types_are_event_class_names_without_duplicates() -> None:
    assert check_event_types(["TaskCompleted", "InformReceived", "TaskCompleted"]) == (
        "TaskCompleted",
        "InformReceived",
    )
    assert check_event_types([]) == ()
    assert {"InformReceived", "TaskQueued", "RpcFaulted", "ConnectionRequested"} <= EVENT_TYPES
    with pytest.raises(WebhookSpecError, match="Nonsense"):
        check_event_types(["InformReceived", "Nonsense"])


def test_a_secret_must_not_be_empty() -> None:
    assert check_secret("x") == "x"
    with pytest.raises(WebhookSpecError):
        check_secret("")


def test_rpc_events_carry_their_method_and_request() -> None:
    sent = RpcSent(
        originator_id=DEVICE,
        originator_version=3,
        timestamp=AT,
        task_id="t",
        method="GetParameterValues",
        session_id="s",
        request={"names": ["A."]},
    )
    event = json.loads(body_of("h", Batch(((3, sent),), 3), {}))["events"][0]
    assert event["data"]["method"] == "GetParameterValues"
    assert event["data"]["request"] == {"names": ["A."]}
