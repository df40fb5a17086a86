"""Delivers the event log to webhooks: at least once, in log order, with retries.

One delivery loop is active across all workers (a PostgreSQL advisory lock). For every
webhook that is due, a lane reads the events after its position (never past the read
model's, so every device event's public id is known), POSTs the next batch it wants, and on
a 2xx moves the position; on a failure it waits `retry_delay` before trying the same batch
again. Lanes run in their own threads, one per webhook at a time, never on a request thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from uuid import UUID

import msgspec

from acs.adapters.database import log_failure
from acs.adapters.event_store import EVENTS_TABLE, EventStore
from acs.adapters.leadership import keep_leading
from acs.adapters.secrets import SecretBox, SecretError
from acs.adapters.webhook_http import PostResult, post_webhook
from acs.adapters.webhook_store import Target, WebhookStore
from acs.domain.events import DeviceEvent, InformReceived
from acs.domain.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    WEBHOOK_HEADER,
    Batch,
    body_of,
    delivery_id,
    retry_delay,
    select_batch,
    sign,
)

log = logging.getLogger(__name__)

SCAN = 1000
"""Events read at a time to find a webhook's next batch."""
LANES = 4
"""Webhooks delivered to at the same time."""
_LOCK_KEY = 0x0AC5_0009
PACE = 0.1
"""Least seconds between two looks for due webhooks (each append notifies)."""
Post = Callable[[str, bytes, dict[str, str], float], PostResult]


class DeviceIds:
    """Public device ids by aggregate id: learnt from Informs, else looked up (bounded)."""

    def __init__(
        self, lookup: Callable[[list[UUID]], dict[UUID, str]], size: int = 100_000
    ) -> None:
        self.lookup, self.size = lookup, size
        self._known: dict[UUID, str] = {}
        self._lock = threading.Lock()

    def of(self, events: Sequence[DeviceEvent]) -> dict[UUID, str]:
        """The public id of every device among the events' aggregates."""
        with self._lock:
            for event in events:
                if isinstance(event, InformReceived) and event.device_id:
                    self._known[event.originator_id] = event.device_id
            missing = list({e.originator_id for e in events} - self._known.keys())
        found = self.lookup(missing) if missing else {}
        with self._lock:
            if len(self._known) > self.size:
                self._known.clear()
            self._known.update(found)
            known = self._known
            return {
                e.originator_id: known[e.originator_id] for e in events if e.originator_id in known
            }


class WebhookDelivery:
    """The background delivery loop and the single attempts it is made of."""

    def __init__(
        self,
        store: EventStore,
        hooks: WebhookStore,
        box: SecretBox,
        *,
        device_ids: DeviceIds,
        read_position: Callable[[], int],
        url: str,
        retry_base: float,
        retry_max: float,
        timeout: float,
        post: Post = post_webhook,
    ) -> None:
        self.store, self.hooks, self.box, self.device_ids = store, hooks, box, device_ids
        self.read_position, self.url = read_position, url
        self.retry_base, self.retry_max = retry_base, retry_max
        self.timeout, self.post = timeout, post
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lanes: ThreadPoolExecutor | None = None
        self._busy: set[str] = set()
        self._busy_lock = threading.Lock()

    def attempt(self, target: Target) -> Target | None:
        """Deliver (or skip) the webhook's next batch once; the webhook as it is after a
        success, when more may follow, else None."""
        room = max(0, min(SCAN, self.read_position() - target.position))
        if not room:
            return None
        notes = self.store.notifications(target.position, room)
        positioned = [(n.position, n.event) for n in notes]
        batch = select_batch(target.position, positioned, target.event_types)
        if not batch.events:
            ahead = batch.advance_to > target.position
            moved = ahead and self.hooks.skipped(target, batch.advance_to)
            return self._moved(target, batch) if moved else None
        result = self._send(target, batch)
        if result.ok:
            moved = self.hooks.delivered(target, batch.advance_to, result.status)
            return self._moved(target, batch) if moved else None
        delay = retry_delay(target.failures + 1, self.retry_base, self.retry_max)
        log.info("webhook %s failed (%s); retry in %g s", target.id, result.error, delay)
        self.hooks.failed(target, result.status, result.error, delay)
        return None

    @staticmethod
    def _moved(target: Target, batch: Batch) -> Target:
        return msgspec.structs.replace(target, position=batch.advance_to, failures=0)

    def _send(self, target: Target, batch: Batch) -> PostResult:
        try:
            secret = self.box.open(target.sealed_secret)
        except SecretError:
            return PostResult(ok=False, error="the secret is sealed with a key not configured")
        events = [e for _, e in batch.events]
        body = body_of(target.id, batch, self.device_ids.of(events))
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body),
            WEBHOOK_HEADER: target.id,
            DELIVERY_HEADER: delivery_id(target.id, batch),
        }
        return self.post(target.url, body, headers, self.timeout)

    def deliver(self, target: Target) -> int:
        """Deliver to one webhook until it is up to date, fails or the loop stops;
        returns the attempts that moved it on."""
        moved = 0
        current: Target | None = target
        while current is not None and not self._stop.is_set():
            current = self.attempt(current)
            moved += 0 if current is None else 1
        return moved

    def run_once(self) -> int:
        """Deliver to every due webhook in turn, in this thread; returns the moves."""
        due = self.hooks.due(self.read_position())
        return sum(self.deliver(target) for target in due)

    def start(self) -> None:
        """Run the loop in a background thread until `stop()`."""
        self._lanes = ThreadPoolExecutor(max_workers=LANES, thread_name_prefix="acs-webhook")
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop; attempts in flight finish (bounded by the request timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._lanes is not None:
            self._lanes.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        """Hold the delivery lock, then dispatch due webhooks as events arrive; survive
        outages."""
        keep_leading(
            self.url,
            _LOCK_KEY,
            EVENTS_TABLE,
            self._stop,
            label="webhook delivery",
            work=self._dispatch,
            pace=PACE,
        )

    def _dispatch(self) -> None:
        assert self._lanes is not None
        for target in self.hooks.due(self.read_position()):
            with self._busy_lock:
                if target.id in self._busy:
                    continue
                self._busy.add(target.id)
            future = self._lanes.submit(self.deliver, target)
            future.add_done_callback(partial(self._done, target.id))

    def _done(self, hook: str, future: Future[int]) -> None:
        with self._busy_lock:
            self._busy.discard(hook)
        error = None if future.cancelled() else future.exception()
        if error is not None:
            log_failure(log, f"webhook {hook} delivery failed", error)
