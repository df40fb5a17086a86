"""The REST API for presets (provisioning)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.exceptions import NotFoundException

from acs.api.services import Services
from acs.projections.queries import Preset, presets


class NamedPreset(msgspec.Struct, frozen=True):
    """A preset to create: its name and definition (`events`, `filter`, `ensure`, `weight`,
    `provisioner`)."""

    name: str
    events: list[str] = []
    filter: dict[str, str] = {}
    ensure: dict[str, Any] = {}
    weight: int = 0
    provisioner: str = ""


class PresetController(Controller):
    """Presets: what sets of devices must look like, ensured in their sessions."""

    path = "/api/presets"
    tags = ["presets"]

    @get("/")
    async def list_presets(self, services: Services) -> list[Preset]:
        """Every preset, with counts of the tasks it queued by outcome."""
        return await services.run(presets, services.pool)

    @get("/{name:str}")
    async def get_preset(self, services: Services, name: str) -> Preset:
        """One preset."""
        return await _one(services, name)

    @post("/", status_code=201)
    async def create_preset(self, services: Services, data: NamedPreset, actor: str) -> Preset:
        """Create a preset (409 when the name is taken)."""
        body = {k: v for k, v in msgspec.to_builtins(data).items() if k != "name"}
        position = await services.run(services.presets.save, data.name, body, actor,
                                      create_only=True)  # fmt: skip
        await services.wait_for_read_model(position)
        return await _one(services, data.name)

    @put("/{name:str}")
    async def replace_preset(
        self, services: Services, name: str, data: dict[str, Any], actor: str
    ) -> Preset:
        """Create or replace a preset."""
        position = await services.run(services.presets.save, name, data, actor)
        await services.wait_for_read_model(position)
        return await _one(services, name)

    @delete("/{name:str}", status_code=204)
    async def delete_preset(self, services: Services, name: str, actor: str) -> None:
        """Delete a preset; the tasks it queued stay as they are."""
        position = await services.run(services.presets.delete, name, actor)
        await services.wait_for_read_model(position)


async def _one(services: Services, name: str) -> Preset:
    found = await services.run(presets, services.pool, name)
    if not found:
        raise NotFoundException(detail=f"no preset {name}")
    return found[0]
