"""The dashboard's presets: `/presets` lists them (viewers too) and creates one,
`/presets/{name}` shows one and replaces it, `/presets/{name}/delete` deletes it (admins).

The form splits a definition into what operators write most: the trigger's event codes and
the device filter (one per line), the values to ensure (`name = value` lines), and the rest
of `ensure` (objects, firmware, refresh) as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from acs.api.pages_admin import AnyRequest, FormError, after, flash, form_of, lines, number, pairs
from acs.api.services import Services
from acs.api.web import PAGE_DEPENDENCIES, page
from acs.domain.access import Principal
from acs.domain.preset_commands import PresetExistsError, PresetNotFoundError
from acs.domain.presets import PresetError
from acs.projections.queries import Preset, presets

_MESSAGES = {"saved": "Preset {} saved.", "deleted": "Preset {} deleted."}
_BLANK = {"name": "", "events": "", "filter": "", "values": "", "ensure": "", "weight": "0",
          "provisioner": ""}  # fmt: skip


def preset_body(form: dict[str, str]) -> dict[str, Any]:
    """A preset definition (as `PUT /api/presets/{name}` takes it) from the form's fields."""
    try:
        ensure = json.loads(form.get("ensure") or "{}")
    except ValueError as exc:
        raise FormError(f"the rest of ensure is not JSON: {exc}") from None
    if not isinstance(ensure, dict) or not isinstance(ensure.get("values", {}), dict):
        raise FormError('the rest of ensure is a JSON object, e.g. {"objects": {…}}')
    values = pairs(form.get("values", ""), "values")
    return {
        "events": lines(form.get("events", "")),
        "filter": pairs(form.get("filter", ""), "filter"),
        "ensure": {**ensure, "values": {**ensure.get("values", {}), **values}},
        "weight": number(form.get("weight") or "0", "weight"),
        "provisioner": form.get("provisioner", "").strip(),
    }


def preset_form(preset: Preset) -> dict[str, str]:
    """A stored preset in the form's fields."""
    d = preset.definition
    ensure = dict(d.get("ensure", {}))
    values = ensure.pop("values", {})
    rest = {key: value for key, value in ensure.items() if value}
    return {
        "name": preset.name,
        "events": "\n".join(d.get("events", [])),
        "filter": "\n".join(f"{k} = {v}" for k, v in d.get("filter", {}).items()),
        "values": "\n".join(f"{k} = {v}" for k, v in values.items()),
        "ensure": json.dumps(rest, indent=2) if rest else "",
        "weight": str(d.get("weight", 0)),
        "provisioner": d.get("provisioner", ""),
    }


async def _list(
    request: AnyRequest, services: Services, principal: Principal, *, status: int = 200,
    error: str = "", form: dict[str, str] | None = None,
) -> Template:  # fmt: skip
    shown = await services.run(presets, services.pool)
    return page(request, principal, "admin_presets.html", status_code=status, presets=shown,
                error=error, form={**_BLANK, **(form or {})},
                flash=flash(request, _MESSAGES))  # fmt: skip


async def _one(services: Services, name: str) -> Preset:
    found = await services.run(presets, services.pool, name)
    if not found:
        raise NotFoundException(detail=f"no preset {name}")
    return found[0]


async def _save(
    services: Services, name: str, form: dict[str, str], actor: str, *, create_only: bool
) -> tuple[int, str]:
    """Save the form's preset: (200, "") once the read model has it, else the status and
    the error to show."""
    try:
        body = preset_body(form)
        position = await services.run(services.presets.save, name, body, actor,
                                      create_only=create_only)  # fmt: skip
    except (FormError, PresetError) as exc:
        return 400, str(exc)
    except PresetExistsError:
        return 409, f"A preset {name} exists already: edit it instead."
    await services.wait_for_read_model(position)
    return 200, ""


@get("/presets", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def presets_page(request: AnyRequest, services: Services, principal: Principal) -> Template:
    """Every preset with how its tasks fare; admins get the form to create one."""
    return await _list(request, services, principal)


@post("/presets", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def create_preset(
    request: AnyRequest, services: Services, principal: Principal, actor: str
) -> Template | Redirect:
    """Create a preset (its name must be free)."""
    form = await form_of(request)
    name = form.get("name", "").strip()
    status, error = await _save(services, name, form, actor, create_only=True)
    if error:
        return await _list(request, services, principal, status=status, error=error, form=form)
    return after("/presets", saved=name)


@get("/presets/{name:str}", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def preset_page(
    request: AnyRequest, services: Services, principal: Principal, name: str
) -> Template:
    """One preset: its definition, in the form that replaces it (admins)."""
    preset = await _one(services, name)
    return page(request, principal, "admin_preset.html", preset=preset,
                form=preset_form(preset), error="")  # fmt: skip


@post("/presets/{name:str}", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def replace_preset(
    request: AnyRequest, services: Services, principal: Principal, name: str, actor: str
) -> Template | Redirect:
    """Replace a preset's definition."""
    preset = await _one(services, name)
    form = {**_BLANK, **await form_of(request), "name": name}
    status, error = await _save(services, name, form, actor, create_only=False)
    if error:
        return page(request, principal, "admin_preset.html", status_code=status, preset=preset,
                    form=form, error=error)  # fmt: skip
    return after("/presets", saved=name)


@post("/presets/{name:str}/delete", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def delete_preset(
    request: AnyRequest, services: Services, principal: Principal, name: str, actor: str
) -> Template | Redirect:
    """Delete a preset; the tasks it queued stay as they are."""
    try:
        position = await services.run(services.presets.delete, name, actor)
    except PresetNotFoundError:
        error = f"There is no preset {name}."
        return await _list(request, services, principal, status=404, error=error)
    await services.wait_for_read_model(position)
    return after("/presets", deleted=name)


PAGES = [presets_page, create_preset, preset_page, replace_preset, delete_preset]
"""The routes of the presets' pages."""
