"""Webhook configuration: operators create, list, read and delete webhooks.

The secret is sealed before it is stored and never shown back; who created and who deleted
each webhook is recorded with it.
"""

from __future__ import annotations

import uuid

from acs.adapters.secrets import SecretBox
from acs.adapters.webhook_store import Webhook, WebhookStore
from acs.domain.events import EVENT_TOPICS
from acs.domain.webhooks import check_event_types, check_secret, check_url


def topics_by_type() -> dict[str, list[str]]:
    """The stored topics of each event type name."""
    found: dict[str, list[str]] = {}
    for topic, cls in EVENT_TOPICS.items():
        found.setdefault(cls.__name__, []).append(topic)
    return found


class Webhooks:
    """What operators do with webhooks."""

    def __init__(self, store: WebhookStore, box: SecretBox) -> None:
        self.store = store
        self.box = box

    def create(self, url: str, event_types: list[str], secret: str, actor: str) -> Webhook:
        """Validate and record a webhook (`WebhookSpecError` when invalid)."""
        types = list(check_event_types(event_types))
        sealed = self.box.seal(check_secret(secret))
        return self.store.create(uuid.uuid4().hex, check_url(url), types, sealed, actor)

    def all(self) -> list[Webhook]:
        """Every webhook, oldest first, with its delivery status."""
        return self.store.all()

    def get(self, webhook_id: str) -> Webhook | None:
        """One webhook with its delivery status, or None."""
        return self.store.get(webhook_id)

    def delete(self, webhook_id: str, actor: str) -> bool:
        """Stop and delete a webhook; False if there is none."""
        return self.store.delete(webhook_id, actor)
