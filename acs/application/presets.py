"""Operator commands on presets: save and delete, each an event of the preset's stream."""

from __future__ import annotations

from typing import Any

from acs.adapters.event_store import ConcurrencyError, EventStore
from acs.application.devices import now
from acs.domain.preset_commands import delete_preset, preset_aggregate, save_preset
from acs.domain.presets import parse_preset


class PresetCommands:
    """Create, replace and delete presets; returns the event's log position (0: unchanged)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def save(
        self, name: str, body: dict[str, Any], actor: str, *, create_only: bool = False
    ) -> int:
        """Validate and store a preset definition."""
        definition = parse_preset(name, body)
        for _ in range(5):
            history = self.store.load_events(preset_aggregate(name))
            events = save_preset(history, name=name, definition=definition, actor=actor, at=now(),
                                 create_only=create_only)  # fmt: skip
            if not events:
                return 0
            try:
                return self.store.append(events)[-1]
            except ConcurrencyError:
                continue
        raise ConcurrencyError(name)

    def delete(self, name: str, actor: str) -> int:
        """Delete a preset."""
        history = self.store.load_events(preset_aggregate(name))
        return self.store.append(delete_preset(history, name=name, actor=actor, at=now()))[-1]
