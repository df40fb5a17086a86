"""Operators' task requests: validation, and the RPC each task step becomes."""

from __future__ import annotations

import pytest

from acs.domain.messages import (
    AddObject,
    DeleteObject,
    Download,
    FactoryReset,
    GetParameterAttributes,
    GetParameterNames,
    GetParameterValues,
    GetRPCMethods,
    Reboot,
    ScheduleInform,
    SetParameterAttribute,
    SetParameterAttributes,
    SetParameterValues,
    Upload,
)
from acs.domain.task_steps import Context, Progress, request_for
from acs.domain.tasks import (
    TASK_TYPES,
    AddObjectTask,
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
    TaskSpecError,
    UploadTask,
    parse_task,
    shown_parameters,
    task_type,
)

CTX = Context(command_key="k", known_types={"A.S": "xsd:string"}, upload_url="http://acs/u/1")


def test_each_task_type_parses_from_the_api_shape() -> None:
    assert parse_task("get_params", {"names": ["A.B"]}) == GetParams(names=("A.B",))
    assert parse_task("set_params", {"values": {"A.B": "x"}}) == SetParams(values={"A.B": "x"})
    assert parse_task("refresh", {"path": "A."}) == Refresh(path="A.")
    assert parse_task("refresh", {}) == Refresh(path="")
    assert parse_task("get_attributes", {"names": ["A.B"]}) == GetAttributes(names=("A.B",))
    assert parse_task(
        "set_attributes", {"attributes": [{"name": "A.B", "notification": 2}]}
    ) == SetAttributes(attributes=(AttributeChange("A.B", 2, None),))
    assert parse_task("add_object", {"object": "A.B."}) == AddObjectTask(object="A.B.")
    assert parse_task("delete_object", {"object": "A.B.2."}) == DeleteObjectTask(object="A.B.2.")
    assert parse_task("reboot", {}) == RebootTask()
    assert parse_task("factory_reset", None) == FactoryResetTask()
    assert parse_task("download", {"url": "http://f/x.bin", "file_size": 10}) == DownloadTask(
        url="http://f/x.bin", file_size=10
    )
    assert parse_task("upload", {"file_type": "2 Vendor Log File"}) == UploadTask(
        file_type="2 Vendor Log File"
    )
    assert parse_task("schedule_inform", {"delay_seconds": 5}) == ScheduleInformTask(5)
    assert parse_task("get_rpc_methods", {}) == GetRpcMethodsTask()


def test_every_task_type_is_listed_once() -> None:
    assert len(set(TASK_TYPES)) == len(TASK_TYPES) == 13


def test_json_numbers_and_booleans_become_cwmp_text() -> None:
    spec = parse_task("set_params", {"values": {"A.Interval": 60, "A.Enable": True}})
    assert spec == SetParams(values={"A.Interval": "60", "A.Enable": "true"})


@pytest.mark.parametrize(
    ("kind", "parameters", "message"),
    [
        ("bogus", {}, "unknown task type 'bogus'"),
        ("get_params", {}, "invalid parameters for get_params"),
        ("get_params", {"names": []}, "non-empty list"),
        ("get_params", {"names": "A.B"}, "invalid parameters"),
        ("set_params", {"values": {}}, "values for parameter names"),
        ("set_params", {"values": {"A.": "x"}}, "not paths"),
        ("set_params", {"values": {"A.B": "x"}, "types": {"A.C": "xsd:int"}}, "types given"),
        ("reboot", {"delay": 1}, "invalid parameters for reboot"),
        ("refresh", {"path": "A"}, "ending in '.'"),
        ("set_attributes", {"attributes": []}, "non-empty list"),
        ("set_attributes", {"attributes": [{"name": "A.B"}]}, "notification and/or"),
        ("set_attributes", {"attributes": [{"name": "A.B", "notification": 9}]}, "0 to 6"),
        ("add_object", {"object": "A.B"}, "ending in '.'"),
        ("delete_object", {}, "invalid parameters"),
        ("download", {"url": "file:///etc/passwd"}, "http, https or ftp"),
        ("download", {"url": "http://x/f", "file_type": "firmware"}, "file_type must"),
        ("upload", {"file_type": "log"}, "file_type must"),
        ("schedule_inform", {"delay_seconds": 0}, "at least 1"),
        ("get_rpc_methods", {"x": 1}, "invalid parameters"),
    ],
)
def test_malformed_tasks_say_what_is_wrong(kind: str, parameters: dict, message: str) -> None:
    with pytest.raises(TaskSpecError, match=message):
        parse_task(kind, parameters)


def test_each_task_becomes_its_first_rpc() -> None:
    first = Progress()
    assert request_for(GetParams(names=("A.",)), first, CTX) == GetParameterValues(names=("A.",))
    assert request_for(Refresh(path="A."), first, CTX) == GetParameterNames("A.", next_level=False)
    assert request_for(GetAttributes(names=("A.B",)), first, CTX) == GetParameterAttributes(
        names=("A.B",)
    )
    assert request_for(
        SetAttributes((AttributeChange("A.B", None, ("Subscriber",)),)), first, CTX
    ) == SetParameterAttributes(
        (
            SetParameterAttribute(
                "A.B",
                notification_change=False,
                notification=0,
                access_list_change=True,
                access_list=("Subscriber",),
            ),
        )
    )
    assert request_for(AddObjectTask(object="A.B."), first, CTX) == AddObject("A.B.", "k")
    assert request_for(DeleteObjectTask(object="A.B.3."), first, CTX) == DeleteObject("A.B.3.", "k")
    assert request_for(RebootTask(), first, CTX) == Reboot(command_key="k")
    assert request_for(FactoryResetTask(), first, CTX) == FactoryReset()
    download = request_for(DownloadTask(url="http://f/x", file_size=9), first, CTX)
    assert download == Download("k", "1 Firmware Upgrade Image", "http://f/x", file_size=9)
    upload = request_for(UploadTask(), first, CTX)
    assert upload == Upload("k", "3 Vendor Configuration File", "http://acs/u/1")
    assert request_for(ScheduleInformTask(30), first, CTX) == ScheduleInform(30, "k")
    assert request_for(GetRpcMethodsTask(), first, CTX) == GetRPCMethods()


def test_set_params_takes_the_given_then_the_known_then_an_inferred_type() -> None:
    spec = SetParams(
        values={"A.N": "5", "A.S": "x", "A.T": "1", "A.B": "true"}, types={"A.T": "xsd:int"}
    )
    spv = request_for(spec, Progress(), CTX)
    assert isinstance(spv, SetParameterValues)
    assert [(p.name, p.type) for p in spv.parameters] == [
        ("A.N", "xsd:unsignedInt"),
        ("A.S", "xsd:string"),
        ("A.T", "xsd:int"),
        ("A.B", "xsd:boolean"),
    ]
    assert spv.parameter_key == "k"


def test_a_download_password_is_hidden_when_shown() -> None:
    shown = shown_parameters(DownloadTask(url="http://f/x", username="u", password="secret"))
    assert shown["password"] == "********"
    assert shown["username"] == "u"
    assert "type" not in shown


def test_task_type_names_the_tag() -> None:
    assert task_type(GetParams(names=("A",))) == "get_params"
    assert task_type(FactoryResetTask()) == "factory_reset"
