"""Decisions on the device aggregate: (state, command) -> new events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from acs.domain.device import (
    Device,
    DeviceNotFoundError,
    UnknownTaskError,
    boot_completions,
    changed_parameters,
    in_flight,
    known_types,
)
from acs.domain.events import (
    DeviceEvent,
    InformReceived,
    RpcAnswered,
    RpcFaulted,
    RpcSent,
    TaskCompleted,
    TaskFaulted,
    TaskQueued,
    TransferReported,
)
from acs.domain.messages import (
    AcsRequest,
    Fault,
    GetParameterValuesResponse,
    Inform,
    Message,
    SetParameterValues,
    SetParameterValuesResponse,
    TransferComplete,
)
from acs.domain.tasks import AnyTask, request_for, task_type


class UnexpectedAnswerError(ValueError):
    """The CPE answered when no RPC of this session awaits an answer, or with the wrong type."""


class _Sequence:
    """Numbers events after the aggregate's current version."""

    def __init__(self, aggregate: UUID, version: int, at: datetime) -> None:
        self.aggregate, self.version, self.at = aggregate, version, at

    def head(self) -> dict[str, Any]:
        self.version += 1
        return {
            "originator_id": self.aggregate,
            "originator_version": self.version,
            "timestamp": self.at,
        }


def receive_inform(
    device: Device | None,
    inform: Inform,
    *,
    aggregate: UUID,
    public_id: str,
    source_ip: str,
    session_id: str,
    cwmp_version: str,
    at: datetime,
) -> list[DeviceEvent]:
    """Record an Inform, and finish the reboots and factory resets it proves done."""
    codes = tuple(e.event_code for e in inform.events)
    keys = {e.event_code: e.command_key for e in inform.events if e.command_key}
    seq = _Sequence(aggregate, device.version if device else 0, at)
    ident = inform.device_id
    events: list[DeviceEvent] = [
        InformReceived(
            **seq.head(),
            device_id=public_id,
            manufacturer=ident.manufacturer,
            oui=ident.oui,
            product_class=ident.product_class,
            serial_number=ident.serial_number,
            event_codes=codes,
            command_keys=keys,
            parameters=changed_parameters(device, inform.parameters, codes),
            source_ip=source_ip,
            cpe_time=inform.current_time,
            session_id=session_id,
            cwmp_version=cwmp_version,
            retry_count=inform.retry_count,
        )
    ]
    for task_id in boot_completions(device, codes, keys):
        events.append(TaskCompleted(**seq.head(), task_id=task_id, result={"event_codes": codes}))
    return events


def queue_task(
    device: Device | None, *, task_id: str, task: AnyTask, actor: str, at: datetime
) -> list[DeviceEvent]:
    """Queue a task for the device's next session."""
    if device is None:
        raise DeviceNotFoundError
    seq = _Sequence(device.id, device.version, at)
    return [TaskQueued(**seq.head(), task_id=task_id, task=task, actor=actor)]


def send_rpc(
    device: Device, *, task_id: str, session_id: str, at: datetime
) -> tuple[AcsRequest, list[DeviceEvent]]:
    """Send the RPC of a task; its command key is the task id, to correlate later Informs."""
    task = device.task(task_id)
    if task is None:
        raise UnknownTaskError(task_id)
    request = request_for(task.task, task_id, known_types(device))
    seq = _Sequence(device.id, device.version, at)
    sent = RpcSent(
        **seq.head(),
        task_id=task_id,
        method=type(request).__name__,
        session_id=session_id,
        command_key=task_id,
        request=_arguments(request),
    )
    return request, [sent]


def _arguments(request: AcsRequest) -> dict[str, Any]:
    """The RPC's arguments as JSON, for the audit trail."""
    from msgspec import to_builtins  # noqa: PLC0415 - keep the hot import list short

    body = to_builtins(request)
    assert isinstance(body, dict)
    body.pop("method", None)
    return body


def receive_answer(
    device: Device, *, session_id: str, answer: Message, at: datetime
) -> list[DeviceEvent]:
    """Record the CPE's answer (or fault) to the RPC in flight, and finish its task."""
    task = in_flight(device, session_id)
    if task is None:
        raise UnexpectedAnswerError("no RPC of this session awaits an answer")
    seq = _Sequence(device.id, device.version, at)
    if isinstance(answer, Fault):
        return _faulted(seq, task.task_id, _method_of(device, task.task_id, session_id), answer)
    method = type(answer).__name__.removesuffix("Response")
    expected = type(request_for(task.task, "", {})).__name__
    if method != expected:
        raise UnexpectedAnswerError(f"expected {expected}Response, got {type(answer).__name__}")
    result, parameters = _outcome(device, task.task_id, answer)
    events: list[DeviceEvent] = [
        RpcAnswered(
            **seq.head(), task_id=task.task_id, method=method, result=result, parameters=parameters
        )
    ]
    if task_type(task.task) not in ("reboot", "factory_reset"):
        events.append(TaskCompleted(**seq.head(), task_id=task.task_id, result=result))
    return events


def _method_of(device: Device, task_id: str, session_id: str) -> str:
    task = device.task(task_id)
    assert task is not None
    return type(request_for(task.task, "", {})).__name__


def _faulted(seq: _Sequence, task_id: str, method: str, fault: Fault) -> list[DeviceEvent]:
    detail = {
        "code": fault.code,
        "string": fault.string,
        "parameter_faults": [
            {"name": f.parameter_name, "code": f.fault_code, "string": f.fault_string}
            for f in fault.set_parameter_values_faults
        ],
    }
    return [
        RpcFaulted(
            **seq.head(),
            task_id=task_id,
            method=method,
            fault_code=fault.code,
            fault_string=fault.string,
            parameter_faults=fault.set_parameter_values_faults,
        ),
        TaskFaulted(**seq.head(), task_id=task_id, fault=detail),
    ]


def _outcome(
    device: Device, task_id: str, answer: Message
) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """The task result and the parameter values the answer proves."""
    if isinstance(answer, GetParameterValuesResponse):
        values = {p.name: p.value for p in answer.parameters}
        return {"values": values}, answer.parameters
    if isinstance(answer, SetParameterValuesResponse):
        task = device.task(task_id)
        assert task is not None
        request = request_for(task.task, task_id, known_types(device))
        assert isinstance(request, SetParameterValues)
        return {"status": answer.status}, request.parameters
    return {}, ()


def report_transfer(device: Device, report: TransferComplete, at: datetime) -> list[DeviceEvent]:
    """Record a TransferComplete; tasks that wait for it are matched by command key."""
    seq = _Sequence(device.id, device.version, at)
    return [
        TransferReported(
            **seq.head(),
            command_key=report.command_key,
            fault_code=report.fault_code,
            fault_string=report.fault_string,
            start_time=report.start_time,
            complete_time=report.complete_time,
        )
    ]
