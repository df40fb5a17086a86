"""The dashboard's webhooks: `/webhooks` lists them with how their deliveries stand
(viewers too) and creates one, `/webhooks/{id}/delete` stops and deletes one (admins)."""

from __future__ import annotations

from litestar import get, post
from litestar.response import Redirect, Template

from acs.api.pages_admin import AnyRequest, after, flash, form_of
from acs.api.services import Services
from acs.api.web import PAGE_DEPENDENCIES, page
from acs.domain.access import Principal
from acs.domain.webhooks import EVENT_TYPES, WebhookSpecError

_MESSAGES = {
    "created": "Webhook {} created: it receives the events recorded from now on.",
    "deleted": "Webhook {} deleted.",
}


async def _list(
    request: AnyRequest, services: Services, principal: Principal, *, status: int = 200,
    error: str = "", form: dict[str, str] | None = None, chosen: list[str] | None = None,
) -> Template:  # fmt: skip
    webhooks = await services.run(services.webhooks.all)
    return page(request, principal, "admin_webhooks.html", status_code=status,
                webhooks=webhooks, event_types=sorted(EVENT_TYPES), error=error,
                form=form or {}, chosen=chosen or [],
                flash=flash(request, _MESSAGES))  # fmt: skip


@get("/webhooks", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def webhooks_page(request: AnyRequest, services: Services, principal: Principal) -> Template:
    """Every webhook with its delivery status; admins get the form to create one."""
    return await _list(request, services, principal)


@post("/webhooks", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def create_webhook(
    request: AnyRequest, services: Services, principal: Principal, actor: str
) -> Template | Redirect:
    """Create a webhook (its secret is sealed and never shown back)."""
    form = await form_of(request)
    chosen = [t for t in (await request.form()).getall("event_types", []) if isinstance(t, str)]
    url, secret = form.get("url", "").strip(), form.get("secret", "")
    try:
        made = await services.run(services.webhooks.create, url, chosen, secret, actor)
    except WebhookSpecError as exc:
        shown = {"url": url}
        return await _list(request, services, principal, status=400, error=str(exc),
                           form=shown, chosen=chosen)  # fmt: skip
    return after("/webhooks", created=made.url)


@post("/webhooks/{webhook_id:str}/delete", include_in_schema=False,
      dependencies=PAGE_DEPENDENCIES)  # fmt: skip
async def delete_webhook(
    request: AnyRequest, services: Services, principal: Principal, webhook_id: str, actor: str
) -> Template | Redirect:
    """Stop and delete a webhook."""
    found = await services.run(services.webhooks.get, webhook_id)
    if found is None or not await services.run(services.webhooks.delete, webhook_id, actor):
        error = f"There is no webhook {webhook_id}."
        return await _list(request, services, principal, status=404, error=error)
    return after("/webhooks", deleted=found.url)


PAGES = [webhooks_page, create_webhook, delete_webhook]
"""The routes of the webhooks' page."""
