"""Multi-step tasks and what each answer means for the task."""

from __future__ import annotations

from acs.domain.messages import (
    AddObjectResponse,
    DeleteObjectResponse,
    DownloadResponse,
    GetParameterAttributesResponse,
    GetParameterNamesResponse,
    GetParameterValues,
    GetParameterValuesResponse,
    GetRPCMethodsResponse,
    ParameterAttribute,
    ParameterInfo,
    ParameterValue,
    RebootResponse,
    SetParameterAttributesResponse,
    UploadResponse,
)
from acs.domain.task_steps import (
    Await,
    Context,
    Continue,
    Finish,
    Progress,
    expected_response,
    outcome,
    request_for,
)
from acs.domain.tasks import (
    AddObjectTask,
    AttributeChange,
    DeleteObjectTask,
    DownloadTask,
    GetAttributes,
    GetRpcMethodsTask,
    RebootTask,
    Refresh,
    SetAttributes,
    UploadTask,
)

CTX = Context(command_key="k")
WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration."


def test_refresh_reads_names_then_values_and_scopes_the_result() -> None:
    spec = Refresh(path="A.")
    names = GetParameterNamesResponse(
        (ParameterInfo("A.", False), ParameterInfo("A.X", True), ParameterInfo("A.Y", False))
    )
    facts, step = outcome(spec, Progress(), names, CTX)
    assert isinstance(step, Continue)
    assert step.progress == Progress(1, "A.", {"A.X": True, "A.Y": False})
    assert facts.writable == {"A.X": True, "A.Y": False}
    assert request_for(spec, step.progress, CTX) == GetParameterValues(names=("A.",))
    values = GetParameterValuesResponse((ParameterValue("A.X", "1"), ParameterValue("A.Y", "2")))
    facts, step = outcome(spec, step.progress, values, CTX)
    assert step == Finish({"parameters": 2})
    assert facts.scope == "A."
    assert facts.writable == {"A.X": True, "A.Y": False}
    assert [p.name for p in facts.parameters] == ["A.X", "A.Y"]


def test_add_object_creates_then_refreshes_the_new_instance() -> None:
    spec = AddObjectTask(object=WLAN)
    _, step = outcome(spec, Progress(), AddObjectResponse(instance_number=3, status=0), CTX)
    assert isinstance(step, Continue)
    assert step.progress.path == f"{WLAN}3." and step.progress.instance == 3
    assert expected_response(spec, step.progress) == "GetParameterNamesResponse"
    names = GetParameterNamesResponse((ParameterInfo(f"{WLAN}3.SSID", True),))
    _, step = outcome(spec, step.progress, names, CTX)
    assert isinstance(step, Continue)
    assert expected_response(spec, step.progress) == "GetParameterValuesResponse"
    values = GetParameterValuesResponse((ParameterValue(f"{WLAN}3.SSID", ""),))
    facts, step = outcome(spec, step.progress, values, CTX)
    assert step == Finish({"instance": 3})
    assert facts.scope == f"{WLAN}3."
    assert facts.writable == {f"{WLAN}3.SSID": True}


def test_delete_object_forgets_everything_under_the_object() -> None:
    facts, step = outcome(
        DeleteObjectTask(object=f"{WLAN}2."), Progress(), DeleteObjectResponse(status=0), CTX
    )
    assert step == Finish({"status": 0})
    assert facts.scope == f"{WLAN}2."
    assert facts.parameters == ()


def test_attributes_are_read_and_written() -> None:
    answer = GetParameterAttributesResponse((ParameterAttribute("A.B", 2, ("Subscriber",)),))
    facts, step = outcome(GetAttributes(names=("A.B",)), Progress(), answer, CTX)
    shown = {"A.B": {"notification": 2, "access_list": ["Subscriber"]}}
    assert step == Finish({"attributes": shown})
    assert facts.attributes == (AttributeChange("A.B", 2, ("Subscriber",)),)
    change = SetAttributes((AttributeChange("A.B", 1, None),))
    facts, step = outcome(change, Progress(), SetParameterAttributesResponse(), CTX)
    assert step == Finish({})
    assert facts.attributes == change.attributes


def test_transfers_wait_for_transfer_complete_unless_already_done() -> None:
    _, step = outcome(DownloadTask(url="http://f/x"), Progress(), DownloadResponse(1), CTX)
    assert step == Await()
    _, step = outcome(UploadTask(), Progress(), UploadResponse(1), CTX)
    assert step == Await()
    _, step = outcome(DownloadTask(url="http://f/x"), Progress(), DownloadResponse(0), CTX)
    assert isinstance(step, Finish)
    assert step.result["status"] == 0


def test_reboot_waits_and_rpc_methods_finish_at_once() -> None:
    assert outcome(RebootTask(), Progress(), RebootResponse(), CTX)[1] == Await()
    methods = GetRPCMethodsResponse(("GetRPCMethods", "Reboot"))
    assert outcome(GetRpcMethodsTask(), Progress(), methods, CTX)[1] == Finish(
        {"methods": ["GetRPCMethods", "Reboot"]}
    )
