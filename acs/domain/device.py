"""The device aggregate: its state, folded from events, and queries on it."""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Literal
from uuid import UUID

import msgspec

from acs.domain.events import (
    ConnectionRequestCredentialsSet,
    ConnectionRequested,
    CwmpCredentialsCleared,
    CwmpCredentialsSet,
    DeviceEvent,
    DeviceTagged,
    DeviceUntagged,
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
)
from acs.domain.messages import ParameterValue
from acs.domain.provisioning import PresetRun, preset_of
from acs.domain.task_steps import Progress, resendable
from acs.domain.tasks import AnyTask, task_type

TaskStatus = Literal["pending", "sent", "answered"]


class KnownParameter(msgspec.Struct, frozen=True):
    """The last value and type the ACS knows for a parameter."""

    value: str
    type: str


class OpenTask(msgspec.Struct, frozen=True):
    """A task not finished yet; finished tasks leave the aggregate (the read model keeps them).

    `sent`: its RPC awaits an answer; `answered`: it waits for an Inform or TransferComplete.
    """

    task_id: str
    task: AnyTask
    status: TaskStatus = "pending"
    session_id: str = ""
    command_key: str = ""
    progress: Progress = Progress()
    file_id: str = ""
    sent_at: datetime | None = None
    actor: str = ""
    expires_at: datetime | None = None

    @property
    def type(self) -> str:
        """The task type name."""
        return task_type(self.task)

    def expired(self, at: datetime) -> bool:
        """Whether the task's expiry passed at `at` before its first RPC went out; a task
        once sent never expires (its outcome is the CPE's to tell)."""
        return self.expires_at is not None and self.sent_at is None and at >= self.expires_at


class Credentials(msgspec.Struct, frozen=True):
    """A user name and a password, sealed in the aggregate: the ACS's for connection
    requests, or the CPE's own for its sessions."""

    username: str
    sealed_password: str


class Device(msgspec.Struct, frozen=True):
    """What the ACS knows of one CPE, enough to take its decisions."""

    id: UUID
    version: int
    device_id: str
    parameters: dict[str, KnownParameter]
    manufacturer: str = ""
    oui: str = ""
    product_class: str = ""
    serial_number: str = ""
    presets: dict[str, PresetRun] = {}
    tasks: tuple[OpenTask, ...] = ()
    last_inform: datetime | None = None
    credentials: Credentials | None = None
    last_connection_request: datetime | None = None
    tags: tuple[str, ...] = ()
    cwmp_credentials: Credentials | None = None
    """What the CPE must authenticate its sessions with, when an operator set it."""

    @property
    def informed(self) -> bool:
        """Whether the device ever sent an Inform (its credentials may be set before)."""
        return self.last_inform is not None

    def task(self, task_id: str) -> OpenTask | None:
        """The open task with this id, if any."""
        return next((t for t in self.tasks if t.task_id == task_id), None)


class DeviceNotFoundError(LookupError):
    """No device with this id has ever sent an Inform."""


class UnknownTaskError(LookupError):
    """The task is not open on this device."""


# --- evolve: fold one event into the state --------------------------------------------------


@singledispatch
def evolve(event: DeviceEvent, state: Device | None) -> Device:
    """Fold one event into the device state; events that change nothing just advance it."""
    return _advance(state, event)


def _advance(state: Device | None, event: DeviceEvent) -> Device:
    if state is None:
        raise DeviceNotFoundError(str(event.originator_id))
    return msgspec.structs.replace(state, version=event.originator_version)


@evolve.register
def _(event: InformReceived, state: Device | None) -> Device:
    known = dict(state.parameters) if state else {}
    if "0 BOOTSTRAP" in event.event_codes:
        known = {}
    known.update({p.name: KnownParameter(p.value, p.type) for p in event.parameters})
    base = state or Device(
        id=event.originator_id, version=0, device_id=event.device_id, parameters={}
    )
    return msgspec.structs.replace(
        base,
        version=event.originator_version,
        parameters=known,
        last_inform=event.timestamp,
        manufacturer=event.manufacturer or base.manufacturer,
        oui=event.oui or base.oui,
        product_class=event.product_class or base.product_class,
        serial_number=event.serial_number or base.serial_number,
    )


@evolve.register
def _(event: TaskQueued, state: Device | None) -> Device:
    device = _advance(state, event)
    task = OpenTask(
        task_id=event.task_id, task=event.task, actor=event.actor, expires_at=event.expires_at
    )
    return msgspec.structs.replace(device, tasks=(*device.tasks, task))


@evolve.register
def _(event: RpcSent, state: Device | None) -> Device:
    device = _advance(state, event)
    return _with_task(
        device,
        event.task_id,
        status="sent",
        session_id=event.session_id,
        command_key=event.command_key,
        sent_at=event.timestamp,
    )


@evolve.register
def _(event: RpcAnswered, state: Device | None) -> Device:
    device = _advance(state, event)
    known = dict(device.parameters)
    if event.scope is not None:
        kept = {p.name for p in event.parameters}
        known = {n: v for n, v in known.items() if not n.startswith(event.scope) or n in kept}
    known.update({p.name: KnownParameter(p.value, p.type) for p in event.parameters})
    device = msgspec.structs.replace(device, parameters=known)
    return _with_task(device, event.task_id, status="answered")


@evolve.register
def _(event: RpcFaulted, state: Device | None) -> Device:
    return _with_task(_advance(state, event), event.task_id, status="answered")


@evolve.register
def _(event: TaskAdvanced, state: Device | None) -> Device:
    progress = Progress(event.stage, event.path, event.names, event.instance)
    return _with_task(_advance(state, event), event.task_id, status="pending", progress=progress)


@evolve.register
def _(event: FileReceived, state: Device | None) -> Device:
    return _with_task(_advance(state, event), event.task_id, file_id=event.file_id)


@evolve.register
def _(event: TaskCompleted, state: Device | None) -> Device:
    device = _advance(state, event)
    return _without_task(_preset_ran(device, event.task_id, event.timestamp, False), event.task_id)


@evolve.register
def _(event: TaskFaulted, state: Device | None) -> Device:
    device = _advance(state, event)
    return _without_task(_preset_ran(device, event.task_id, event.timestamp, True), event.task_id)


@evolve.register
def _(event: TaskExpired, state: Device | None) -> Device:
    device = _advance(state, event)
    return _without_task(_preset_ran(device, event.task_id, event.timestamp, True), event.task_id)


@evolve.register
def _(event: PresetFaulted, state: Device | None) -> Device:
    device = _advance(state, event)
    run = device.presets.get(event.name, PresetRun())
    run = msgspec.structs.replace(run, failures=run.failures + 1, faulted_at=event.timestamp)
    return msgspec.structs.replace(device, presets={**device.presets, event.name: run})


def _preset_ran(device: Device, task_id: str, at: datetime, faulted: bool) -> Device:
    """Keep count of how a preset's tasks go, for its backoff and periodic reads."""
    task = device.task(task_id)
    name = preset_of(task.actor) if task else None
    if task is None or name is None:
        return device
    run = device.presets.get(name, PresetRun())
    if faulted:
        run = msgspec.structs.replace(run, failures=run.failures + 1, faulted_at=at)
    else:
        read = at if task.type == "get_params" else run.read_at
        run = PresetRun(done_at=at, read_at=read, failures=0, faulted_at=None)
    return msgspec.structs.replace(device, presets={**device.presets, name: run})


@evolve.register
def _(event: ConnectionRequestCredentialsSet, state: Device | None) -> Device:
    credentials = Credentials(event.username, event.sealed_password)
    return msgspec.structs.replace(_advance(state, event), credentials=credentials)


@evolve.register
def _(event: CwmpCredentialsSet, state: Device | None) -> Device:
    credentials = Credentials(event.username, event.sealed_password)
    if state is None and event.device_id:
        state = Device(id=event.originator_id, version=0, device_id=event.device_id, parameters={})
    return msgspec.structs.replace(_advance(state, event), cwmp_credentials=credentials)


@evolve.register
def _(event: CwmpCredentialsCleared, state: Device | None) -> Device:
    return msgspec.structs.replace(_advance(state, event), cwmp_credentials=None)


@evolve.register
def _(event: ConnectionRequested, state: Device | None) -> Device:
    return msgspec.structs.replace(_advance(state, event), last_connection_request=event.timestamp)


@evolve.register
def _(event: DeviceTagged, state: Device | None) -> Device:
    device = _advance(state, event)
    return msgspec.structs.replace(device, tags=tuple(sorted({*device.tags, event.tag})))


@evolve.register
def _(event: DeviceUntagged, state: Device | None) -> Device:
    device = _advance(state, event)
    return msgspec.structs.replace(device, tags=tuple(t for t in device.tags if t != event.tag))


def _with_task(device: Device, task_id: str, **changes: object) -> Device:
    tasks = tuple(
        msgspec.structs.replace(t, **changes) if t.task_id == task_id else t for t in device.tasks
    )
    return msgspec.structs.replace(device, tasks=tasks)


def _without_task(device: Device, task_id: str) -> Device:
    return msgspec.structs.replace(
        device, tasks=tuple(t for t in device.tasks if t.task_id != task_id)
    )


def project(state: Device | None, events: list[DeviceEvent]) -> Device | None:
    """Fold events, in order, into a state."""
    for event in events:
        state = evolve(event, state)
    return state


# --- queries ----------------------------------------------------------------------------------


def next_task(device: Device, session_id: str, at: datetime | None = None) -> OpenTask | None:
    """The task to send next in this session, oldest first.

    A pending task is due, unless its expiry passed at `at` (the session's clock; see
    `expired_tasks`); so is one whose idempotent RPC went out in an earlier session and
    was never answered (TR-069 3.7.1.4: a session that ends early leaves the RPC's outcome
    unknown). Any other unanswered RPC is never sent again (see `unanswered`).
    """
    for task in device.tasks:
        if at is not None and task.expired(at):
            continue
        if task.status == "pending":
            return task
        if (
            task.status == "sent"
            and task.session_id != session_id
            and resendable(task.task, task.progress)
        ):
            return task
    return None


def expired_tasks(device: Device, at: datetime) -> list[OpenTask]:
    """Tasks never sent whose expiry passed at `at`, oldest first."""
    return [t for t in device.tasks if t.expired(at)]


def in_flight(device: Device, session_id: str) -> OpenTask | None:
    """The task whose RPC was sent in this session and awaits its answer."""
    return next(
        (t for t in device.tasks if t.status == "sent" and t.session_id == session_id), None
    )


def known_types(device: Device) -> dict[str, str]:
    """The known `xsi:type` of every parameter."""
    return {name: p.type for name, p in device.parameters.items()}


def changed_parameters(
    device: Device | None, parameters: tuple[ParameterValue, ...], event_codes: tuple[str, ...]
) -> tuple[ParameterValue, ...]:
    """The Inform parameters whose value or type differs from what is known."""
    if device is None or "0 BOOTSTRAP" in event_codes:
        return deduplicated(parameters)
    known = device.parameters
    return tuple(
        p
        for p in deduplicated(parameters)
        if (k := known.get(p.name)) is None or k.value != p.value or k.type != p.type
    )


def deduplicated(parameters: tuple[ParameterValue, ...]) -> tuple[ParameterValue, ...]:
    """Some CPEs list a parameter twice; the last value wins."""
    return tuple({p.name: p for p in parameters}.values())


def inform_completions(
    device: Device | None, event_codes: tuple[str, ...], command_keys: dict[str, str]
) -> list[str]:
    """Ids of waiting tasks whose effect this Inform shows (TR-069 3.7.1.5, Table 7)."""
    if device is None:
        return []
    done = []
    for task in device.tasks:
        if task.status == "pending":
            continue
        if (
            (task.type == "factory_reset" and "0 BOOTSTRAP" in event_codes)
            or (
                task.type == "reboot"
                and (command_keys.get("M Reboot") == task.command_key or "1 BOOT" in event_codes)
            )
            or (
                task.type == "schedule_inform"
                and command_keys.get("M ScheduleInform") == task.command_key
            )
        ):
            done.append(task.task_id)
    return done


def unanswered(
    device: Device | None, event_codes: tuple[str, ...], command_keys: dict[str, str]
) -> list[OpenTask]:
    """Tasks whose non-idempotent RPC went out in an earlier session and was never answered,
    and whose outcome this Inform does not show either: done or not, nobody knows, so they
    are never sent again. Called as a new session opens, when no RPC of it is out yet."""
    if device is None:
        return []
    done = set(inform_completions(device, event_codes, command_keys))
    return [
        t
        for t in device.tasks
        if t.status == "sent"
        and t.task_id not in done
        and not resendable(t.task, t.progress)
        and not _transfer_reported(t, event_codes, command_keys)
    ]


def _transfer_reported(
    task: OpenTask, event_codes: tuple[str, ...], command_keys: dict[str, str]
) -> bool:
    """A download or upload the CPE did take on: its file arrived, or this session brings its
    TransferComplete (`M Download`/`M Upload` with its CommandKey, or `7 TRANSFER COMPLETE`,
    TR-069 3.7.1.5), which settles it."""
    if task.type not in ("download", "upload"):
        return False
    code = "M Download" if task.type == "download" else "M Upload"
    return (
        command_keys.get(code) == task.command_key
        or "7 TRANSFER COMPLETE" in event_codes
        or bool(task.file_id)
    )


def transfer_task(device: Device, command_key: str) -> OpenTask | None:
    """The download or upload task a TransferComplete with this command key reports on."""
    return next(
        (
            t
            for t in device.tasks
            if t.type in ("download", "upload") and t.command_key == command_key and command_key
        ),
        None,
    )
