"""The REST API for webhooks: create, list, read (with delivery status), delete."""

from __future__ import annotations

from functools import partial

import msgspec
from litestar import Controller, delete, get, post
from litestar.exceptions import ClientException, NotFoundException

from acs.adapters.webhook_store import Webhook
from acs.api.services import Services
from acs.application.webhook_delivery import DeviceIds, WebhookDelivery
from acs.domain.webhooks import WebhookSpecError
from acs.projections.device_lookup import public_ids


class WebhookRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A webhook to create: an http(s) URL, the event types wanted (empty: all) and the
    secret that signs its requests (stored sealed, never shown back)."""

    url: str
    secret: str
    event_types: list[str] = []


class WebhookController(Controller):
    """Webhooks that receive the event log, and how their deliveries stand."""

    path = "/api/webhooks"
    tags = ["webhooks"]

    @post("/", status_code=201)
    async def create_webhook(self, services: Services, data: WebhookRequest, actor: str) -> Webhook:
        """Create a webhook; it receives the events recorded from now on."""
        try:
            return await services.run(
                services.webhooks.create, data.url, data.event_types, data.secret, actor
            )
        except WebhookSpecError as exc:
            raise ClientException(detail=str(exc)) from exc

    @get("/")
    async def list_webhooks(self, services: Services) -> list[Webhook]:
        """Every webhook, oldest first, with its delivery status."""
        return await services.run(services.webhooks.all)

    @get("/{webhook_id:str}")
    async def get_webhook(self, services: Services, webhook_id: str) -> Webhook:
        """One webhook with its delivery status."""
        found = await services.run(services.webhooks.get, webhook_id)
        if found is None:
            raise NotFoundException(detail=f"no webhook {webhook_id}")
        return found

    @delete("/{webhook_id:str}", status_code=204)
    async def delete_webhook(self, services: Services, webhook_id: str, actor: str) -> None:
        """Stop and delete a webhook (who deleted it is recorded)."""
        if not await services.run(services.webhooks.delete, webhook_id, actor):
            raise NotFoundException(detail=f"no webhook {webhook_id}")


def build_delivery(services: Services) -> WebhookDelivery:
    """The webhook delivery loop of a worker (started by `create_app`; one is active)."""
    settings = services.settings
    return WebhookDelivery(
        services.store,
        services.webhooks.store,
        services.webhooks.box,
        device_ids=DeviceIds(partial(public_ids, services.pool)),
        read_position=services.projector.position,
        url=services.projector.url,
        retry_base=settings.webhook_retry_base,
        retry_max=settings.webhook_retry_max,
        timeout=settings.webhook_timeout,
    )
