"""Webhooks, the pure part: what a webhook accepts, its batches, signatures and retry delays.

A webhook receives the notification log in order, filtered by event type, in batches of at
most `MAX_BATCH` events; each request is signed with HMAC-SHA256 of its raw body.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from acs.domain.events import EVENT_TOPICS, TOPIC_OF, DeviceEvent
from acs.domain.timeline import event_data

MAX_BATCH = 100
"""Events in one webhook request at most."""
MAX_URL_LENGTH = 2048
EVENT_TYPES: frozenset[str] = frozenset(cls.__name__ for cls in EVENT_TOPICS.values())
"""The event type names a webhook may ask for (the event classes)."""
SIGNATURE_HEADER = "X-ACS-Signature"
WEBHOOK_HEADER = "X-ACS-Webhook"
DELIVERY_HEADER = "X-ACS-Delivery"

Positioned = tuple[int, DeviceEvent]
"""An event with its position in the notification log."""


class WebhookSpecError(ValueError):
    """A webhook's URL, event types or secret are not acceptable."""


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host, or `WebhookSpecError`."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookSpecError(f"url longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        raise WebhookSpecError(f"invalid url: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise WebhookSpecError("url must be http or https")
    if not host:
        raise WebhookSpecError("url must name a host")
    return url


def check_event_types(names: Iterable[str]) -> tuple[str, ...]:
    """Known event type names, duplicates removed, in the order given (empty: all)."""
    wanted = tuple(dict.fromkeys(names))
    unknown = [n for n in wanted if n not in EVENT_TYPES]
    if unknown:
        raise WebhookSpecError(f"unknown event types: {', '.join(unknown)}")
    return wanted


def check_secret(secret: str) -> str:
    """A non-empty secret of reasonable length."""
    if not secret or len(secret) > 1024:
        raise WebhookSpecError("secret must have 1 to 1024 characters")
    return secret


def wants(types: frozenset[str], event: DeviceEvent) -> bool:
    """Whether a webhook with these event types (empty: all) wants the event."""
    return not types or type(event).__name__ in types


class Batch(msgspec.Struct, frozen=True):
    """The events of one request, and the position the webhook is at once it is delivered
    (past events it does not want, too)."""

    events: tuple[Positioned, ...]
    advance_to: int


def select_batch(
    after: int, notes: Sequence[Positioned], types: frozenset[str], limit: int = MAX_BATCH
) -> Batch:
    """The next batch after `after` from events read in log order: the first `limit` wanted."""
    chosen: list[Positioned] = []
    for position, event in notes:
        if wants(types, event):
            chosen.append((position, event))
            if len(chosen) == limit:
                return Batch(tuple(chosen), position)
    return Batch(tuple(chosen), notes[-1][0] if notes else after)


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """Whether a signature header value is the body's, in constant time."""
    return hmac.compare_digest(sign(secret, body), signature)


def retry_delay(failures: int, base: float, cap: float) -> float:
    """Seconds to wait after `failures` failures in a row: base, 2 base, 4 base … at most cap."""
    if failures <= 0:
        return 0.0
    return float(min(cap, base * 2 ** min(failures - 1, 64)))


def delivery_id(webhook_id: str, batch: Batch) -> str:
    """The idempotency key of a request: the webhook and the positions it carries."""
    return f"{webhook_id}:{batch.events[0][0]}-{batch.events[-1][0]}"


class WebhookEvent(msgspec.Struct, frozen=True):
    """One event as a webhook receives it; `id` is its position in the log."""

    id: int
    device_id: str | None
    type: str
    topic: str
    time: datetime
    version: int
    data: dict[str, Any]


class WebhookBody(msgspec.Struct, frozen=True):
    """The JSON body of one webhook request."""

    webhook_id: str
    delivery_id: str
    events: list[WebhookEvent]


def webhook_event(position: int, event: DeviceEvent, device_id: str | None) -> WebhookEvent:
    """An event as delivered: its own fields in `data`, as the history API shows them
    (defaults included, secrets hidden)."""
    return WebhookEvent(
        id=position,
        device_id=device_id,
        type=type(event).__name__,
        topic=TOPIC_OF[type(event)],
        time=event.timestamp,
        version=event.originator_version,
        data=event_data(event),
    )


def body_of(webhook_id: str, batch: Batch, device_ids: dict[UUID, str]) -> bytes:
    """The raw JSON body of a batch; `device_ids` maps aggregate ids to public device ids."""
    events = [webhook_event(p, e, device_ids.get(e.originator_id)) for p, e in batch.events]
    return msgspec.json.encode(WebhookBody(webhook_id, delivery_id(webhook_id, batch), events))
