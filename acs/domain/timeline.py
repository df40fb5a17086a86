"""A device's events as auditors read them: who caused each, its data, one line of text."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import singledispatch
from typing import Any

import msgspec

from acs.domain.events import (
    AutonomousTransferReported,
    ConnectionRequestCredentialsSet,
    ConnectionRequested,
    CwmpCredentialsCleared,
    CwmpCredentialsSet,
    DeviceEvent,
    DeviceTagged,
    DeviceUntagged,
    DownloadRequested,
    FileReceived,
    InformReceived,
    PresetFaulted,
    RpcAnswered,
    RpcFaulted,
    RpcSent,
    TaskAdvanced,
    TaskCompleted,
    TaskExpired,
    TaskFaulted,
    TaskQueued,
    TransferReported,
)
from acs.domain.messages import ParameterValue
from acs.domain.tasks import HIDDEN, shown_parameters, task_type

CPE = "cpe"
"""The actor of what the device did or said (Informs, answers, transfers, uploads)."""
ACS = "acs"
"""The actor of what the ACS did on its own (RPCs sent, connection requests, task outcomes)."""

_BY_CPE = (
    InformReceived,
    RpcAnswered,
    RpcFaulted,
    TransferReported,
    AutonomousTransferReported,
    DownloadRequested,
    FileReceived,
)
_HEAD = frozenset({"originator_id", "originator_version", "timestamp"})
_SHOWN_VALUES = 3
_LONGEST_VALUE = 40


def actor_of(event: DeviceEvent) -> str:
    """Who caused an event: the operator named in it, else `cpe` or `acs`."""
    actor = getattr(event, "actor", None)
    if isinstance(actor, str):
        return actor
    return CPE if isinstance(event, _BY_CPE) else ACS


def event_data(event: DeviceEvent) -> dict[str, Any]:
    """An event's own fields as JSON data (defaults included); sealed secrets stay hidden."""
    data = {name: getattr(event, name) for name in event.__struct_fields__ if name not in _HEAD}
    for name in data:
        if name.startswith("sealed_"):
            data[name] = HIDDEN
    if isinstance(event, TaskQueued):
        data["task"] = {"type": task_type(event.task), **shown_parameters(event.task)}
    decoded: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(data))
    return decoded


def timeline(events: Iterable[DeviceEvent]) -> Iterator[str]:
    """One line per event, in order: time, version and what happened."""
    tasks: dict[str, str] = {}
    for event in events:
        if isinstance(event, TaskQueued):
            tasks[event.task_id] = task_type(event.task)
        yield line(event, tasks)


def line(event: DeviceEvent, tasks: Mapping[str, str]) -> str:
    """`2026-01-01T00:00:00.000+00:00  #12   Inform 2 PERIODIC (no parameter changed)`."""
    at = event.timestamp.isoformat(timespec="milliseconds")
    return f"{at}  #{event.originator_version:<5d} {describe(event, tasks)}"


def describe(event: DeviceEvent, tasks: Mapping[str, str] | None = None) -> str:
    """What an event means, in a few words; `tasks` maps task ids to their types."""
    return _describe(event, tasks or {})


@singledispatch
def _describe(event: DeviceEvent, tasks: Mapping[str, str]) -> str:
    """An event type this module does not know: its name, and who caused it."""
    return f"{type(event).__name__} by {actor_of(event)}"


@_describe.register
def _(event: InformReceived, tasks: Mapping[str, str]) -> str:
    codes = ", ".join(event.event_codes) or "no event code"
    return f"Inform {codes} ({changed(event.parameters)})"


@_describe.register
def _(event: TaskQueued, tasks: Mapping[str, str]) -> str:
    return f"{task(event.task_id, tasks)} queued by {event.actor}"


@_describe.register
def _(event: RpcSent, tasks: Mapping[str, str]) -> str:
    return f"{event.method} sent ({task(event.task_id, tasks)})"


@_describe.register
def _(event: RpcAnswered, tasks: Mapping[str, str]) -> str:
    text = f"{event.method} answered"
    if event.parameters:
        text += f": {values(event.parameters)}"
    elif event.result:
        text += f": {pairs(event.result)}"
    if event.attributes:
        text += f"; attributes of {_count(len(event.attributes), 'parameter')}"
    if event.scope is not None:
        text += f"; nothing else under {event.scope or 'the root'}"
    return text


@_describe.register
def _(event: RpcFaulted, tasks: Mapping[str, str]) -> str:
    return f"fault {event.fault_code} {event.fault_string} ({event.method})".replace("  ", " ")


@_describe.register
def _(event: TaskAdvanced, tasks: Mapping[str, str]) -> str:
    return f"{task(event.task_id, tasks)} on to step {event.stage}"


@_describe.register
def _(event: TaskCompleted, tasks: Mapping[str, str]) -> str:
    return f"{task(event.task_id, tasks)} done"


@_describe.register
def _(event: TaskFaulted, tasks: Mapping[str, str]) -> str:
    code, string = event.fault.get("code", ""), event.fault.get("string", "")
    return f"{task(event.task_id, tasks)} faulted: {code} {string}".rstrip()


@_describe.register
def _(event: TaskExpired, tasks: Mapping[str, str]) -> str:
    expiry = event.expires_at.isoformat(timespec="seconds")
    return f"{task(event.task_id, tasks)} expired: not sent before {expiry}"


@_describe.register
def _(event: TransferReported, tasks: Mapping[str, str]) -> str:
    outcome = _outcome(event.fault_code, event.fault_string)
    return f"TransferComplete ({task(event.command_key, tasks)}): {outcome}"


@_describe.register
def _(event: AutonomousTransferReported, tasks: Mapping[str, str]) -> str:
    kind = "download" if event.is_download else "upload"
    what = event.file_type or event.transfer_url or "a file"
    return f"autonomous {kind} of {what}: {_outcome(event.fault_code, event.fault_string)}"


@_describe.register
def _(event: DownloadRequested, tasks: Mapping[str, str]) -> str:
    return f"RequestDownload of {event.file_type}"


@_describe.register
def _(event: FileReceived, tasks: Mapping[str, str]) -> str:
    return f"file {event.file_id} received ({task(event.task_id, tasks)}, {event.size} bytes)"


@_describe.register
def _(event: ConnectionRequestCredentialsSet, tasks: Mapping[str, str]) -> str:
    return f"connection request credentials set for user {event.username} by {event.actor}"


@_describe.register
def _(event: CwmpCredentialsSet, tasks: Mapping[str, str]) -> str:
    return f"CPE credentials set for user {event.username} by {event.actor}"


@_describe.register
def _(event: CwmpCredentialsCleared, tasks: Mapping[str, str]) -> str:
    return f"CPE credentials cleared by {event.actor}"


@_describe.register
def _(event: ConnectionRequested, tasks: Mapping[str, str]) -> str:
    detail = f" ({event.detail})" if event.detail and event.outcome != "ok" else ""
    return f"connection request: {event.outcome}{detail}"


@_describe.register
def _(event: DeviceTagged, tasks: Mapping[str, str]) -> str:
    return f"tag {event.tag} added by {event.actor}"


@_describe.register
def _(event: DeviceUntagged, tasks: Mapping[str, str]) -> str:
    return f"tag {event.tag} removed by {event.actor}"


@_describe.register
def _(event: PresetFaulted, tasks: Mapping[str, str]) -> str:
    return f"preset {event.name} faulted: {event.reason}"


def task(task_id: str, tasks: Mapping[str, str]) -> str:
    """`task 1a2b3c4d… set_params`: a short id and, when known, the type."""
    short = task_id[:8] + "…" if len(task_id) > 8 else task_id
    kind = tasks.get(task_id)
    return f"task {short} {kind}" if kind else f"task {short}"


def changed(parameters: tuple[ParameterValue, ...]) -> str:
    """`3 parameters changed: A=1, B=2, C=3` (the last path segment of each name)."""
    if not parameters:
        return "no parameter changed"
    return f"{_count(len(parameters), 'parameter')} changed: {values(parameters)}"


def values(parameters: tuple[ParameterValue, ...]) -> str:
    """`SSID=home, Channel=6, Enable=1 and 4 more`: the first few values, each by the last
    segment of its name."""
    shown = [f"{p.name.rsplit('.', 1)[-1]}={_short(p.value)}" for p in parameters]
    more = len(shown) - _SHOWN_VALUES
    return ", ".join(shown[:_SHOWN_VALUES]) + (f" and {more} more" if more > 0 else "")


def pairs(result: Mapping[str, Any]) -> str:
    """`status=0, instance=2`: a result's fields."""
    return ", ".join(f"{k}={_short(str(v))}" for k, v in result.items())


def _short(value: str) -> str:
    return value if len(value) <= _LONGEST_VALUE else value[:_LONGEST_VALUE] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _outcome(code: int, string: str) -> str:
    return f"fault {code} {string}".rstrip() if code else "ok"
