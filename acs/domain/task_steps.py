"""How each task type is carried out: the RPC of each step, and what each answer means.

Most tasks take one RPC. `refresh` takes two (GetParameterNames, then GetParameterValues of
the path) and `add_object` three (AddObject, then the refresh of the new instance). Tasks
whose effect shows later (reboot, factory reset, transfers, ScheduleInform) wait after their
RPC is answered, until an Inform or a TransferComplete proves them done.
"""

from __future__ import annotations

from typing import Any

import msgspec

from acs.domain.messages import (
    AcsRequest,
    AddObject,
    AddObjectResponse,
    DeleteObject,
    DeleteObjectResponse,
    Download,
    DownloadResponse,
    FactoryReset,
    GetParameterAttributes,
    GetParameterAttributesResponse,
    GetParameterNames,
    GetParameterNamesResponse,
    GetParameterValues,
    GetParameterValuesResponse,
    GetRPCMethods,
    GetRPCMethodsResponse,
    Message,
    ParameterValue,
    Reboot,
    ScheduleInform,
    SetParameterAttribute,
    SetParameterAttributes,
    SetParameterValues,
    SetParameterValuesResponse,
    Upload,
    UploadResponse,
)
from acs.domain.tasks import (
    AddObjectTask,
    AnyTask,
    AttributeChange,
    DeleteObjectTask,
    DownloadTask,
    FactoryResetTask,
    GetAttributes,
    GetParams,
    GetRpcMethodsTask,
    RebootTask,
    Refresh,
    ScheduleInformTask,
    SetAttributes,
    SetParams,
    UploadTask,
)


class Progress(msgspec.Struct, frozen=True):
    """Where a multi-step task stands: its step, and what earlier steps found."""

    stage: int = 0
    path: str = ""
    names: dict[str, bool] = {}
    instance: int = 0


class Context(msgspec.Struct, frozen=True):
    """What building an RPC needs beyond the task: its command key, types, transfer URLs."""

    command_key: str
    known_types: dict[str, str] = {}
    upload_url: str = ""
    download_url: str = ""


class Facts(msgspec.Struct, frozen=True):
    """What an answer proves about the device, recorded in `RpcAnswered`."""

    result: dict[str, Any] = {}
    parameters: tuple[ParameterValue, ...] = ()
    writable: dict[str, bool] = {}
    scope: str | None = None
    attributes: tuple[AttributeChange, ...] = ()


class Continue(msgspec.Struct, frozen=True):
    """The task goes on with another RPC."""

    progress: Progress


class Finish(msgspec.Struct, frozen=True):
    """The task is done; `result` is what operators see."""

    result: dict[str, Any]


class Await(msgspec.Struct, frozen=True):
    """The RPC was accepted; a later Inform or TransferComplete will finish the task."""


Next = Continue | Finish | Await


def infer_type(value: str) -> str:
    """The `xsi:type` for a value whose parameter type is not known yet."""
    if value in ("true", "false"):
        return "xsd:boolean"
    if value.isdigit():
        return "xsd:unsignedInt"
    return "xsd:string"


def request_for(spec: AnyTask, progress: Progress, ctx: Context) -> AcsRequest:  # noqa: PLR0911, PLR0912 - one case per task type
    """The RPC of the task's current step."""
    key = ctx.command_key
    match spec:
        case GetParams(names=names):
            return GetParameterValues(names=names)
        case SetParams():
            return SetParameterValues(parameters=_typed(spec, ctx.known_types), parameter_key=key)
        case Refresh(path=path):
            return _refresh_step(path, progress.stage)
        case GetAttributes(names=names):
            return GetParameterAttributes(names=names)
        case SetAttributes(attributes=changes):
            return SetParameterAttributes(parameters=tuple(_attribute(c) for c in changes))
        case AddObjectTask(object=path):
            if progress.stage == 0:
                return AddObject(object_name=path, parameter_key=key)
            return _refresh_step(progress.path, progress.stage - 1)
        case DeleteObjectTask(object=path):
            return DeleteObject(object_name=path, parameter_key=key)
        case RebootTask():
            return Reboot(command_key=key)
        case FactoryResetTask():
            return FactoryReset()
        case DownloadTask():
            return Download(
                command_key=key,
                file_type=spec.file_type,
                url=ctx.download_url if spec.file_id else spec.url,
                username=spec.username,
                password=spec.password,
                file_size=spec.file_size,
                target_file_name=spec.target_file_name,
                delay_seconds=spec.delay_seconds,
            )
        case UploadTask(file_type=file_type):
            return Upload(command_key=key, file_type=file_type, url=ctx.upload_url)
        case ScheduleInformTask(delay_seconds=delay):
            return ScheduleInform(delay_seconds=delay, command_key=key)
        case GetRpcMethodsTask():
            return GetRPCMethods()


def _refresh_step(path: str, stage: int) -> AcsRequest:
    if stage == 0:
        return GetParameterNames(path=path, next_level=False)
    return GetParameterValues(names=(path,))


def _typed(spec: SetParams, known: dict[str, str]) -> tuple[ParameterValue, ...]:
    return tuple(
        ParameterValue(name, value, spec.types.get(name) or known.get(name) or infer_type(value))
        for name, value in spec.values.items()
    )


def _attribute(change: AttributeChange) -> SetParameterAttribute:
    return SetParameterAttribute(
        name=change.name,
        notification_change=change.notification is not None,
        notification=change.notification or 0,
        access_list_change=change.access_list is not None,
        access_list=change.access_list or (),
    )


IDEMPOTENT_METHODS = frozenset(
    {
        "GetParameterValues",
        "SetParameterValues",
        "GetParameterNames",
        "GetParameterAttributes",
        "SetParameterAttributes",
        "GetRPCMethods",
    }
)
"""RPCs whose effect is the same done once or twice: the only ones sent again when the CPE
never answered them (TR-069 3.7.1.4: an RPC unanswered when a session fails may or may not
have been carried out). Reboot, FactoryReset, Download, Upload, AddObject, DeleteObject and
ScheduleInform never are."""


def rpc_method(spec: AnyTask, progress: Progress) -> str:
    """The name of the task's current RPC."""
    return type(request_for(spec, progress, Context(command_key=""))).__name__


def resendable(spec: AnyTask, progress: Progress) -> bool:
    """Whether the task's current RPC may be sent again when it was never answered."""
    return rpc_method(spec, progress) in IDEMPOTENT_METHODS


def expected_response(spec: AnyTask, progress: Progress) -> str:
    """The name of the response that answers the task's current RPC."""
    return rpc_method(spec, progress) + "Response"


def outcome(  # noqa: PLR0911 - one case per answer type reads best flat
    spec: AnyTask, progress: Progress, answer: Message, ctx: Context
) -> tuple[Facts, Next]:
    """What an answer proves, and how the task goes on."""
    match answer:
        case GetParameterValuesResponse(parameters=values):
            return _values(spec, progress, values)
        case SetParameterValuesResponse(status=status):
            assert isinstance(spec, SetParams)
            result = {"status": status}
            return Facts(result, _typed(spec, ctx.known_types)), Finish(result)
        case GetParameterNamesResponse(parameters=infos):
            leaves = {i.name: i.writable for i in infos if not i.name.endswith(".")}
            path = progress.path if isinstance(spec, AddObjectTask) else _path_of(spec)
            advanced = Progress(progress.stage + 1, path, leaves, progress.instance)
            return Facts({"names": len(leaves)}, writable=leaves), Continue(advanced)
        case GetParameterAttributesResponse(parameters=attrs):
            shown = {
                a.name: {"notification": a.notification, "access_list": list(a.access_list)}
                for a in attrs
            }
            changes = tuple(AttributeChange(a.name, a.notification, a.access_list) for a in attrs)
            return Facts({"attributes": shown}, attributes=changes), Finish({"attributes": shown})
        case AddObjectResponse(instance_number=number, status=status):
            assert isinstance(spec, AddObjectTask)
            new = Progress(1, f"{spec.object}{number}.", {}, number)
            return Facts({"instance": number, "status": status}), Continue(new)
        case DeleteObjectResponse(status=status):
            assert isinstance(spec, DeleteObjectTask)
            return Facts({"status": status}, scope=spec.object), Finish({"status": status})
        case DownloadResponse() | UploadResponse():
            return _transfer(answer)
        case GetRPCMethodsResponse(methods=methods):
            listed: dict[str, Any] = {"methods": list(methods)}
            return Facts(listed), Finish(listed)
    if isinstance(spec, SetAttributes):
        return Facts(attributes=spec.attributes), Finish({})
    return Facts(), Await()


def _path_of(spec: AnyTask) -> str:
    return spec.path if isinstance(spec, Refresh) else ""


def _values(
    spec: AnyTask, progress: Progress, values: tuple[ParameterValue, ...]
) -> tuple[Facts, Next]:
    """A GetParameterValues answer: a plain read, or the last step of a refresh."""
    if isinstance(spec, GetParams):
        result = {"values": {p.name: p.value for p in values}}
        return Facts(result, values), Finish(result)
    writable = {p.name: progress.names[p.name] for p in values if p.name in progress.names}
    facts = Facts({"parameters": len(values)}, values, writable, scope=progress.path)
    if isinstance(spec, AddObjectTask):
        return facts, Finish({"instance": progress.instance})
    return facts, Finish({"parameters": len(values)})


def _transfer(answer: DownloadResponse | UploadResponse) -> tuple[Facts, Next]:
    """Status 0: the transfer is done already; 1: a TransferComplete will follow (A.3.2.8)."""
    result: dict[str, Any] = {
        "status": answer.status,
        "start_time": answer.start_time,
        "complete_time": answer.complete_time,
    }
    if answer.status == 0:
        return Facts(result), Finish(result)
    return Facts(result), Await()
