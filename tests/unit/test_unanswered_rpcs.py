"""An RPC the CPE never answered: resent only when idempotent, else settled at the next Inform."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from acs.domain.decide import queue_task, receive_answer, receive_inform, report_transfer, send_rpc
from acs.domain.device import Device, next_task, project
from acs.domain.device_id import aggregate_id
from acs.domain.events import DeviceEvent, InformReceived, TaskCompleted, TaskFaulted
from acs.domain.messages import (
    AddObjectResponse,
    DeviceIdStruct,
    EventStruct,
    GetParameterNames,
    Inform,
    RebootResponse,
    TransferComplete,
)
from acs.domain.task_steps import IDEMPOTENT_METHODS
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

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PUBLIC = "00AABB-Box-S1"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration."

IDEMPOTENT: dict[str, AnyTask] = {
    "get_params": GetParams(names=(SSID,)),
    "set_params": SetParams(values={SSID: "x"}),
    "refresh": Refresh(path=WLAN),
    "get_attributes": GetAttributes(names=(SSID,)),
    "set_attributes": SetAttributes(attributes=(AttributeChange(SSID, notification=2),)),
    "get_rpc_methods": GetRpcMethodsTask(),
}
NOT_IDEMPOTENT: dict[str, tuple[AnyTask, str]] = {
    "reboot": (RebootTask(), "Reboot"),
    "factory_reset": (FactoryResetTask(), "FactoryReset"),
    "download": (DownloadTask(url="http://fw.example/fw.bin"), "Download"),
    "upload": (UploadTask(), "Upload"),
    "add_object": (AddObjectTask(object=WLAN), "AddObject"),
    "delete_object": (DeleteObjectTask(object=f"{WLAN}2."), "DeleteObject"),
    "schedule_inform": (ScheduleInformTask(delay_seconds=60), "ScheduleInform"),
}


def inform(*codes: str, keys: dict[str, str] | None = None) -> Inform:
    return Inform(
        device_id=DeviceIdStruct("Acme", "00AABB", "Box", "S1"),
        events=tuple(EventStruct(c, (keys or {}).get(c, "")) for c in codes),
        max_envelopes=1,
        current_time=None,
        retry_count=0,
        parameters=(),
    )


def apply(device: Device | None, events: list[DeviceEvent]) -> Device:
    state = project(device, events)
    assert state is not None
    return state


def new_session(device: Device | None, message: Inform, session: str) -> list[DeviceEvent]:
    return receive_inform(
        device,
        message,
        aggregate=aggregate_id(PUBLIC),
        public_id=PUBLIC,
        source_ip="127.0.0.1",
        session_id=session,
        cwmp_version="V1_0",
        at=T0,
    )


def sent_unanswered(task: AnyTask) -> Device:
    """A device whose task's RPC went out in session s1, which then broke off."""
    device = apply(None, new_session(None, inform("0 BOOTSTRAP", "1 BOOT"), "s0"))
    device = apply(device, queue_task(device, task_id="t1", task=task, actor="op", at=T0))
    return apply(device, send_rpc(device, task_id="t1", session_id="s1", at=T0)[1])


def types(events: list[DeviceEvent]) -> list[type]:
    return [type(e) for e in events]


@pytest.mark.parametrize("kind", sorted(IDEMPOTENT))
def test_an_unanswered_idempotent_rpc_is_sent_again_in_the_next_session(kind: str) -> None:
    device = sent_unanswered(IDEMPOTENT[kind])
    assert next_task(device, "s1") is None, "never twice in the session that sent it"
    events = new_session(device, inform("2 PERIODIC"), "s2")
    assert types(events) == [InformReceived]
    device = apply(device, events)
    again = next_task(device, "s2")
    assert again is not None and again.task_id == "t1"
    request, _ = send_rpc(device, task_id="t1", session_id="s2", at=T0)
    assert type(request).__name__ in IDEMPOTENT_METHODS


@pytest.mark.parametrize("kind", sorted(NOT_IDEMPOTENT))
def test_an_unanswered_non_idempotent_rpc_without_evidence_faults_outcome_unknown(
    kind: str,
) -> None:
    task, method = NOT_IDEMPOTENT[kind]
    device = sent_unanswered(task)
    assert next_task(device, "s2") is None, "never sent again"
    events = new_session(device, inform("2 PERIODIC"), "s2")
    assert types(events) == [InformReceived, TaskFaulted]
    fault = events[1]
    assert isinstance(fault, TaskFaulted) and fault.task_id == "t1"
    assert fault.fault == {
        "code": "outcome_unknown",
        "string": f"the CPE never answered {method}; not resent: "
        "check the device and queue it again if needed",
        "method": method,
    }
    device = apply(device, events)
    assert device.tasks == () and next_task(device, "s2") is None


@pytest.mark.parametrize(
    ("kind", "codes", "keys"),
    [
        ("reboot", ("1 BOOT", "M Reboot"), {"M Reboot": "t1"}),
        ("reboot", ("1 BOOT",), {}),
        ("factory_reset", ("0 BOOTSTRAP", "1 BOOT"), {}),
        ("schedule_inform", ("3 SCHEDULED", "M ScheduleInform"), {"M ScheduleInform": "t1"}),
    ],
)
def test_an_unanswered_rpc_whose_effect_the_inform_shows_completes_the_task(
    kind: str, codes: tuple[str, ...], keys: dict[str, str]
) -> None:
    device = sent_unanswered(NOT_IDEMPOTENT[kind][0])
    events = new_session(device, inform(*codes, keys=keys), "s2")
    assert types(events) == [InformReceived, TaskCompleted]
    assert apply(device, events).tasks == ()


@pytest.mark.parametrize(
    ("kind", "codes", "keys"),
    [
        ("download", ("7 TRANSFER COMPLETE", "M Download"), {"M Download": "t1"}),
        ("download", ("7 TRANSFER COMPLETE",), {}),
        ("upload", ("7 TRANSFER COMPLETE", "M Upload"), {"M Upload": "t1"}),
    ],
)
def test_an_unanswered_transfer_the_cpe_reports_waits_for_its_transfer_complete(
    kind: str, codes: tuple[str, ...], keys: dict[str, str]
) -> None:
    device = sent_unanswered(NOT_IDEMPOTENT[kind][0])
    events = new_session(device, inform(*codes, keys=keys), "s2")
    assert types(events) == [InformReceived]
    device = apply(device, events)
    assert next_task(device, "s2") is None, "still never sent again"
    if kind == "download":
        report = TransferComplete("t1", 0, "", None, None)
        done = report_transfer(device, report, T0)
        assert isinstance(done[-1], TaskCompleted) and done[-1].task_id == "t1"


def test_a_late_transfer_complete_after_outcome_unknown_is_recorded_alone() -> None:
    device = sent_unanswered(NOT_IDEMPOTENT["download"][0])
    device = apply(device, new_session(device, inform("2 PERIODIC"), "s2"))
    report = TransferComplete("t1", 0, "", None, None)
    assert [type(e).__name__ for e in report_transfer(device, report, T0)] == ["TransferReported"]


def test_an_add_object_whose_instance_exists_resends_only_its_read_steps() -> None:
    device = sent_unanswered(AddObjectTask(object=WLAN))
    answer = AddObjectResponse(instance_number=3, status=0)
    device = apply(device, receive_answer(device, session_id="s1", answer=answer, at=T0))
    request, sent = send_rpc(device, task_id="t1", session_id="s1", at=T0)
    assert request == GetParameterNames(path=f"{WLAN}3.", next_level=False)
    device = apply(device, sent)
    events = new_session(device, inform("2 PERIODIC"), "s2")
    assert types(events) == [InformReceived]
    again = next_task(apply(device, events), "s2")
    assert again is not None and again.task_id == "t1"


def test_an_answered_reboot_still_waits_for_its_boot() -> None:
    device = sent_unanswered(RebootTask())
    device = apply(device, receive_answer(device, session_id="s1", answer=RebootResponse(), at=T0))
    events = new_session(device, inform("2 PERIODIC"), "s2")
    assert types(events) == [InformReceived]
    assert apply(device, events).task("t1") is not None


def test_only_the_unanswered_task_is_settled_and_events_are_numbered_in_order() -> None:
    device = sent_unanswered(RebootTask())
    device = apply(device, queue_task(device, task_id="t2", task=GetParams(names=(SSID,)),
                                      actor="op", at=T0))  # fmt: skip
    events = new_session(device, inform("2 PERIODIC"), "s2")
    assert types(events) == [InformReceived, TaskFaulted]
    assert [e.originator_version for e in events] == [device.version + 1, device.version + 2]
    left = next_task(apply(device, events), "s2")
    assert left is not None and left.task_id == "t2"
