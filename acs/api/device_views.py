"""What the device page shows, shaped for its templates: the parameter tree, the timeline,
a parameter's history as a chart, and the form fields that become a task."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from acs.adapters.event_store import EventStore
from acs.domain.device_id import aggregate_id
from acs.domain.timeline import actor_of, describe
from acs.projections.history import ParameterChange
from acs.projections.queries import Parameter

TIMELINE_PAGE = 25
"""Events per page of the device page's timeline."""
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class Node(msgspec.Struct):
    """A branch of the parameter tree: its path (`X.Y.`), its branches and its leaves."""

    name: str
    path: str
    branches: dict[str, Node] = msgspec.field(default_factory=dict)
    leaves: list[Parameter] = msgspec.field(default_factory=list)

    @property
    def size(self) -> int:
        """How many parameters the branch holds, at any depth."""
        return len(self.leaves) + sum(b.size for b in self.branches.values())


def parameter_tree(parameters: Iterable[Parameter]) -> Node:
    """The parameters as nested branches by the dots of their names (objects' own rows,
    named `X.Y.`, only make branches)."""
    root = Node("", "")
    for p in parameters:
        parts = p.name.split(".")
        node = root
        for part in parts[:-1]:
            node = node.branches.setdefault(part, Node(part, f"{node.path}{part}."))
        if parts[-1]:
            node.leaves.append(p)
    return root


class TimelineEntry(msgspec.Struct, frozen=True):
    """One event of a device, told in a line."""

    version: int
    position: int
    time: Any
    type: str
    actor: str
    text: str


class TimelinePage(msgspec.Struct, frozen=True):
    """The events of a page, newest first, and the `before` of the older page (if any)."""

    entries: list[TimelineEntry]
    older: int | None


def timeline_page(
    store: EventStore, device_id: str, before: int, tasks: Mapping[str, str] | None = None
) -> TimelinePage:
    """The device's events with versions up to `before`, at most a page, newest first
    (`tasks` maps task ids to their types, to name them)."""
    after = max(0, before - TIMELINE_PAGE)
    found = store.events_page(aggregate_id(device_id), after, before - after) if before else []
    entries = [
        TimelineEntry(
            version=n.event.originator_version,
            position=n.position,
            time=n.event.timestamp,
            type=type(n.event).__name__,
            actor=actor_of(n.event),
            text=describe(n.event, tasks),
        )
        for n in reversed(found)
    ]
    return TimelinePage(entries, after if after > 0 else None)


def is_number(value: str) -> bool:
    """Whether a parameter's value reads as a number."""
    return bool(_NUMBER.fullmatch(value.strip()))


def history_chart(name: str, changes: list[ParameterChange]) -> dict[str, Any] | None:
    """The chart of a numeric parameter's values over time, drawn by `acs.js` as steps
    (None when it has no value, or one that is not a number)."""
    values = [c for c in changes if c.name == name]
    if not values or not all(is_number(c.value) for c in values):
        return None
    return {
        "label": name.rsplit(".", 1)[-1],
        "x": [int(c.changed_at.timestamp()) for c in values],
        "y": [float(c.value) for c in values],
        "steps": True,
    }


class TaskForm(msgspec.Struct, frozen=True):
    """The fields of the device page's task forms."""

    action: str
    name: str = ""
    value: str = ""
    type: str = ""
    file_id: str = ""
    path: str = ""


def task_of(form: TaskForm) -> tuple[str, dict[str, Any]]:
    """The task type and parameters a form asks for, as `POST /api/devices/{id}/tasks`
    takes them (validated by the same `parse_task`)."""
    if form.action == "set_params":
        parameters: dict[str, Any] = {"values": {form.name: form.value}}
        if form.type:
            parameters["types"] = {form.name: form.type}
        return "set_params", parameters
    if form.action == "refresh":
        return "refresh", {"path": form.path}
    if form.action == "download":
        return "download", {"file_id": form.file_id}
    return form.action, {}
