"""Decisions on the device aggregate: (state, command) -> new events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from acs.domain.device import (
    Device,
    DeviceNotFoundError,
    OpenTask,
    UnknownTaskError,
    changed_parameters,
    expired_tasks,
    in_flight,
    inform_completions,
    known_types,
    transfer_task,
    unanswered,
)
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
from acs.domain.messages import (
    AcsRequest,
    AutonomousTransferComplete,
    Fault,
    Inform,
    Message,
    RequestDownload,
    TransferComplete,
)
from acs.domain.tags import checked_tag
from acs.domain.task_steps import (
    Context,
    Continue,
    Finish,
    expected_response,
    outcome,
    request_for,
    rpc_method,
)
from acs.domain.tasks import HIDDEN, AnyTask


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


def _seq(device: Device, at: datetime) -> _Sequence:
    return _Sequence(device.id, device.version, at)


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
    """Record an Inform, finish the tasks whose effect it shows, and fault those whose
    non-idempotent RPC an earlier session sent but never saw answered (`unanswered`)."""
    codes = tuple(e.event_code for e in inform.events)
    keys = {e.event_code: e.command_key for e in inform.events if e.command_key}
    seq = _Sequence(aggregate, device.version if device else 0, at)
    ident = inform.device_id
    fresh = (
        device is None
        or not device.informed
        or "0 BOOTSTRAP" in codes
        or device.manufacturer != ident.manufacturer
    )
    events: list[DeviceEvent] = [
        InformReceived(
            **seq.head(),
            device_id=public_id if fresh else "",
            manufacturer=ident.manufacturer if fresh else "",
            oui=ident.oui if fresh else "",
            product_class=ident.product_class if fresh else "",
            serial_number=ident.serial_number if fresh else "",
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
    for task_id in inform_completions(device, codes, keys):
        events.append(TaskCompleted(**seq.head(), task_id=task_id, result={"event_codes": codes}))
    for task in unanswered(device, codes, keys):
        events.append(TaskFaulted(**seq.head(), task_id=task.task_id, fault=outcome_unknown(task)))
    return events


def outcome_unknown(task: OpenTask) -> dict[str, Any]:
    """The fault of a task whose RPC the CPE never answered and that is not sent again."""
    method = rpc_method(task.task, task.progress)
    return {
        "code": "outcome_unknown",
        "string": f"the CPE never answered {method}; not resent: "
        "check the device and queue it again if needed",
        "method": method,
    }


def queue_task(
    device: Device | None,
    *,
    task_id: str,
    task: AnyTask,
    actor: str,
    at: datetime,
    expires_at: datetime | None = None,
) -> list[DeviceEvent]:
    """Queue a task for the device's next session; unsent at `expires_at`, it expires."""
    if device is None:
        raise DeviceNotFoundError
    head = _seq(device, at).head()
    return [TaskQueued(**head, task_id=task_id, task=task, actor=actor, expires_at=expires_at)]


def expire_tasks(device: Device, *, at: datetime) -> list[DeviceEvent]:
    """End every task never sent whose expiry passed at `at` (none: no event); a task sent
    meanwhile is no longer pending and does not expire."""
    seq = _seq(device, at)
    return [
        TaskExpired(**seq.head(), task_id=t.task_id, expires_at=t.expires_at)
        for t in expired_tasks(device, at)
        if t.expires_at is not None
    ]


def send_rpc(
    device: Device,
    *,
    task_id: str,
    session_id: str,
    upload_url: str = "",
    download_url: str = "",
    at: datetime,
) -> tuple[AcsRequest, list[DeviceEvent]]:
    """Send the RPC of a task's current step; its command key is the task id."""
    task = device.task(task_id)
    if task is None:
        raise UnknownTaskError(task_id)
    ctx = Context(command_key=task_id, known_types=known_types(device), upload_url=upload_url,
                  download_url=download_url)  # fmt: skip
    request = request_for(task.task, task.progress, ctx)
    sent = RpcSent(
        **_seq(device, at).head(),
        task_id=task_id,
        method=type(request).__name__,
        session_id=session_id,
        command_key=task_id,
        request=_arguments(request),
    )
    return request, [sent]


def _arguments(request: AcsRequest) -> dict[str, Any]:
    """The RPC's arguments as JSON for the audit trail; a password is never recorded."""
    from msgspec import to_builtins  # noqa: PLC0415 - keep the hot import list short

    body: dict[str, Any] = to_builtins(request)
    body.pop("method", None)
    if body.get("password"):
        body["password"] = HIDDEN
    return body


def receive_answer(
    device: Device, *, session_id: str, answer: Message, at: datetime
) -> list[DeviceEvent]:
    """Record the CPE's answer (or fault) to the RPC in flight, and move its task on."""
    task = in_flight(device, session_id)
    if task is None:
        raise UnexpectedAnswerError("no RPC of this session awaits an answer")
    seq = _seq(device, at)
    expected = expected_response(task.task, task.progress)
    method = expected.removesuffix("Response")
    if isinstance(answer, Fault):
        return _faulted(seq, task.task_id, method, answer)
    if type(answer).__name__ != expected:
        raise UnexpectedAnswerError(f"expected {expected}, got {type(answer).__name__}")
    ctx = Context(command_key=task.task_id, known_types=known_types(device))
    facts, step = outcome(task.task, task.progress, answer, ctx)
    events: list[DeviceEvent] = [
        RpcAnswered(
            **seq.head(),
            task_id=task.task_id,
            method=method,
            result=facts.result,
            parameters=facts.parameters,
            writable=facts.writable,
            scope=facts.scope,
            attributes=facts.attributes,
        )
    ]
    if isinstance(step, Continue):
        p = step.progress
        events.append(
            TaskAdvanced(
                **seq.head(),
                task_id=task.task_id,
                stage=p.stage,
                path=p.path,
                names=p.names,
                instance=p.instance,
            )
        )
    elif isinstance(step, Finish):
        events.append(TaskCompleted(**seq.head(), task_id=task.task_id, result=step.result))
    return events


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


def report_transfer(device: Device, report: TransferComplete, at: datetime) -> list[DeviceEvent]:
    """Record a TransferComplete and finish the download or upload it reports on (A.3.3.2)."""
    seq = _seq(device, at)
    events: list[DeviceEvent] = [
        TransferReported(
            **seq.head(),
            command_key=report.command_key,
            fault_code=report.fault_code,
            fault_string=report.fault_string,
            start_time=report.start_time,
            complete_time=report.complete_time,
        )
    ]
    task = transfer_task(device, report.command_key)
    if task is None:
        return events
    if report.fault_code:
        fault = {"code": report.fault_code, "string": report.fault_string}
        events.append(TaskFaulted(**seq.head(), task_id=task.task_id, fault=fault))
    elif task.type == "upload" and not task.file_id:
        fault = {"code": None, "string": "the device reported the upload but no file arrived"}
        events.append(TaskFaulted(**seq.head(), task_id=task.task_id, fault=fault))
    else:
        result: dict[str, Any] = {
            "start_time": report.start_time,
            "complete_time": report.complete_time,
        }
        if task.type == "upload":
            result["file"] = task.file_id
        events.append(TaskCompleted(**seq.head(), task_id=task.task_id, result=result))
    return events


def report_autonomous_transfer(
    device: Device, report: AutonomousTransferComplete, at: datetime
) -> list[DeviceEvent]:
    """Record a transfer the CPE made on its own (A.3.3.3)."""
    fields = {f: getattr(report, f) for f in report.__struct_fields__}
    return [AutonomousTransferReported(**_seq(device, at).head(), **fields)]


def request_download(device: Device, request: RequestDownload, at: datetime) -> list[DeviceEvent]:
    """Record the CPE's RequestDownload (A.4.2.1); the ACS answers it and decides later."""
    return [
        DownloadRequested(
            **_seq(device, at).head(), file_type=request.file_type, arguments=request.arguments
        )
    ]


def receive_file(
    device: Device, *, task_id: str, file_id: str, size: int, sha256: str, at: datetime
) -> list[DeviceEvent]:
    """A file uploaded for an open upload task arrived."""
    task = device.task(task_id)
    if task is None or task.type != "upload":
        raise UnknownTaskError(task_id)
    return [
        FileReceived(
            **_seq(device, at).head(), task_id=task_id, file_id=file_id, size=size, sha256=sha256
        )
    ]


def expire_transfer(
    device: Device, *, task_id: str, timeout: float, at: datetime
) -> list[DeviceEvent]:
    """Fault a transfer whose TransferComplete never came within `timeout` seconds."""
    task = device.task(task_id)
    if task is None or task.sent_at is None or (at - task.sent_at).total_seconds() < timeout:
        return []
    fault = {
        "code": None,
        "string": f"no TransferComplete within {int(timeout)} s",
        "reason": "timeout",
    }
    return [TaskFaulted(**_seq(device, at).head(), task_id=task_id, fault=fault)]


def set_credentials(
    device: Device | None, *, username: str, sealed_password: str, actor: str, at: datetime
) -> list[DeviceEvent]:
    """Set the connection-request credentials (the password arrives sealed)."""
    if device is None:
        raise DeviceNotFoundError
    head = _seq(device, at).head()
    return [
        ConnectionRequestCredentialsSet(
            **head, username=username, sealed_password=sealed_password, actor=actor
        )
    ]


def set_cwmp_credentials(
    device: Device | None,
    *,
    aggregate: UUID,
    public_id: str,
    username: str,
    sealed_password: str,
    actor: str,
    at: datetime,
) -> list[DeviceEvent]:
    """Set what the CPE must authenticate its sessions with (the password arrives sealed);
    a device that never informed yet starts its aggregate with them (pre-provisioning)."""
    seq = _Sequence(aggregate, device.version if device else 0, at)
    return [
        CwmpCredentialsSet(
            **seq.head(),
            username=username,
            sealed_password=sealed_password,
            actor=actor,
            device_id="" if device else public_id,
        )
    ]


def clear_cwmp_credentials(device: Device | None, *, actor: str, at: datetime) -> list[DeviceEvent]:
    """Remove the CPE's own credentials; a device without any records nothing."""
    if device is None:
        raise DeviceNotFoundError
    if device.cwmp_credentials is None:
        return []
    return [CwmpCredentialsCleared(**_seq(device, at).head(), actor=actor)]


def record_connection_request(
    device: Device, *, url: str, outcome: str, detail: str, task_id: str, at: datetime
) -> list[DeviceEvent]:
    """Record a connection request and its outcome."""
    return [
        ConnectionRequested(
            **_seq(device, at).head(), url=url, outcome=outcome, detail=detail, task_id=task_id
        )
    ]


def fault_preset(device: Device, *, name: str, reason: str, at: datetime) -> list[DeviceEvent]:
    """Record that a preset could not be planned (its provisioner failed); it backs off."""
    return [PresetFaulted(**_seq(device, at).head(), name=name, reason=reason)]


def tag_device(device: Device | None, *, tag: str, actor: str, at: datetime) -> list[DeviceEvent]:
    """Put a tag on the device; a tag it already carries records nothing."""
    if device is None:
        raise DeviceNotFoundError
    if checked_tag(tag) in device.tags:
        return []
    return [DeviceTagged(**_seq(device, at).head(), tag=tag, actor=actor)]


def untag_device(device: Device | None, *, tag: str, actor: str, at: datetime) -> list[DeviceEvent]:
    """Take a tag off the device; a tag it does not carry records nothing."""
    if device is None:
        raise DeviceNotFoundError
    if checked_tag(tag) not in device.tags:
        return []
    return [DeviceUntagged(**_seq(device, at).head(), tag=tag, actor=actor)]
