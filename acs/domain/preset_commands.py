"""Decisions on preset aggregates: each preset is its own stream of events, keyed by name."""

from __future__ import annotations

import uuid
from datetime import datetime

from acs.domain.events import DeviceEvent, PresetDeleted, PresetSaved
from acs.domain.presets import PresetDefinition

_NAMESPACE = uuid.UUID("1b0f7b52-6f43-5b8e-a3a8-3c9f2f6f0a11")


class PresetNotFoundError(LookupError):
    """No preset of this name exists."""


class PresetExistsError(ValueError):
    """A preset of this name exists already."""


def preset_aggregate(name: str) -> uuid.UUID:
    """The event-store id of a preset."""
    return uuid.uuid5(_NAMESPACE, name)


def exists(history: list[DeviceEvent]) -> bool:
    """Whether the preset exists at the end of its history."""
    return bool(history) and isinstance(history[-1], PresetSaved)


def save_preset(
    history: list[DeviceEvent],
    *,
    name: str,
    definition: PresetDefinition,
    actor: str,
    at: datetime,
    create_only: bool = False,
) -> list[DeviceEvent]:
    """Create or replace a preset; unchanged definitions record nothing."""
    if create_only and exists(history):
        raise PresetExistsError(name)
    last = history[-1] if history else None
    if isinstance(last, PresetSaved) and last.definition == definition:
        return []
    return [PresetSaved(originator_id=preset_aggregate(name), originator_version=len(history) + 1,
                        timestamp=at, name=name, definition=definition, actor=actor)]  # fmt: skip


def delete_preset(
    history: list[DeviceEvent], *, name: str, actor: str, at: datetime
) -> list[DeviceEvent]:
    """Delete a preset."""
    if not exists(history):
        raise PresetNotFoundError(name)
    return [PresetDeleted(originator_id=preset_aggregate(name), originator_version=len(history) + 1,
                          timestamp=at, name=name, actor=actor)]  # fmt: skip
