"""The device aggregate's decisions, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from acs.domain.decide import (
    UnexpectedAnswerError,
    expire_transfer,
    queue_task,
    receive_answer,
    receive_file,
    receive_inform,
    report_transfer,
    send_rpc,
    set_credentials,
)
from acs.domain.device import Device, DeviceNotFoundError, KnownParameter, next_task, project
from acs.domain.device_id import aggregate_id, device_id
from acs.domain.events import (
    DeviceEvent,
    InformReceived,
    RpcAnswered,
    RpcFaulted,
    RpcSent,
    TaskCompleted,
    TaskFaulted,
    TransferReported,
)
from acs.domain.messages import (
    DeleteObjectResponse,
    DeviceIdStruct,
    DownloadResponse,
    EventStruct,
    FactoryResetResponse,
    Fault,
    GetParameterValues,
    GetParameterValuesResponse,
    Inform,
    ParameterValue,
    Reboot,
    RebootResponse,
    ScheduleInformResponse,
    SetParameterValues,
    SetParameterValuesFault,
    SetParameterValuesResponse,
    TransferComplete,
    UploadResponse,
)
from acs.domain.tasks import (
    DeleteObjectTask,
    DownloadTask,
    FactoryResetTask,
    GetParams,
    RebootTask,
    ScheduleInformTask,
    SetParams,
    UploadTask,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PUBLIC = "00AABB-Box-S1"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"


def inform(
    *codes: str, params: dict[str, str] | None = None, keys: dict[str, str] | None = None
) -> Inform:
    return Inform(
        device_id=DeviceIdStruct("Acme", "00AABB", "Box", "S1"),
        events=tuple(EventStruct(c, (keys or {}).get(c, "")) for c in codes),
        max_envelopes=1,
        current_time=None,
        retry_count=0,
        parameters=tuple(ParameterValue(n, v) for n, v in (params or {}).items()),
    )


def apply(device: Device | None, events: list[DeviceEvent]) -> Device:
    state = project(device, events)
    assert state is not None
    return state


def informed(
    device: Device | None, message: Inform, session: str = "s1"
) -> tuple[Device, list[DeviceEvent]]:
    events = receive_inform(
        device,
        message,
        aggregate=aggregate_id(PUBLIC),
        public_id=PUBLIC,
        source_ip="127.0.0.1",
        session_id=session,
        cwmp_version="V1_0",
        at=T0,
    )
    return apply(device, events), events


def with_task(device: Device, task: object, task_id: str = "t1") -> Device:
    return apply(device, queue_task(device, task_id=task_id, task=task, actor="op", at=T0))  # type: ignore[arg-type]


def test_device_id_is_genieacs_compatible() -> None:
    assert device_id("00AABB", "Box", "S1") == "00AABB-Box-S1"
    assert device_id("00AABB", "", "S1") == "00AABB-S1"
    assert device_id("00AABB", "IGD 2.0", "AB-12/é") == "00AABB-IGD%202%2E0-AB%2D12%2F%C3%A9"


def test_first_inform_creates_the_device_with_every_parameter() -> None:
    device, events = informed(None, inform("0 BOOTSTRAP", "1 BOOT", params={SW: "1.0"}))
    assert device.version == 1
    assert device.parameters[SW].value == "1.0"
    assert isinstance(events[0], InformReceived)
    assert events[0].parameters == (ParameterValue(SW, "1.0"),)


def test_periodic_inform_records_only_changed_parameters() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP", params={SW: "1.0", SSID: "home"}))
    device, events = informed(device, inform("2 PERIODIC", params={SW: "1.0", SSID: "away"}))
    assert isinstance(events[0], InformReceived)
    assert events[0].parameters == (ParameterValue(SSID, "away"),)
    assert device.parameters[SSID].value == "away"


def test_duplicate_parameters_in_an_inform_keep_the_last_value() -> None:
    twice = (ParameterValue(SW, "a"), ParameterValue(SW, "b"))
    message = msgspec.structs.replace(inform("0 BOOTSTRAP"), parameters=twice)
    device, events = informed(None, message)
    assert device.parameters[SW].value == "b"
    assert isinstance(events[0], InformReceived)
    assert len(events[0].parameters) == 1


def test_a_task_for_an_unknown_device_is_refused() -> None:
    with pytest.raises(DeviceNotFoundError):
        queue_task(None, task_id="t", task=RebootTask(), actor="op", at=T0)


def test_get_params_round_trip_completes_the_task_with_values() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = with_task(device, GetParams(names=(SW,)))
    assert next_task(device, "s1") is not None
    request, sent = send_rpc(device, task_id="t1", session_id="s1", at=T0)
    assert request == GetParameterValues(names=(SW,))
    device = apply(device, sent)
    answer = GetParameterValuesResponse(parameters=(ParameterValue(SW, "2.0"),))
    events = receive_answer(device, session_id="s1", answer=answer, at=T0)
    assert [type(e) for e in events] == [RpcAnswered, TaskCompleted]
    assert isinstance(events[1], TaskCompleted)
    assert events[1].result == {"values": {SW: "2.0"}}
    device = apply(device, events)
    assert device.tasks == ()
    assert device.parameters[SW].value == "2.0"


def test_set_params_uses_the_known_type_and_records_the_new_value() -> None:
    interval = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
    bootstrap = inform("0 BOOTSTRAP")
    typed = (ParameterValue(interval, "300", "xsd:unsignedInt"),)
    device, _ = informed(None, msgspec.structs.replace(bootstrap, parameters=typed))
    device = with_task(device, SetParams(values={interval: "60", SSID: "x"}))
    request, sent = send_rpc(device, task_id="t1", session_id="s1", at=T0)
    assert isinstance(request, SetParameterValues)
    assert request.parameter_key == "t1"
    assert {p.name: p.type for p in request.parameters} == {
        interval: "xsd:unsignedInt",
        SSID: "xsd:string",
    }
    device = apply(device, sent)
    events = receive_answer(device, session_id="s1", answer=SetParameterValuesResponse(0), at=T0)
    device = apply(device, events)
    assert device.parameters[interval] == KnownParameter("60", "xsd:unsignedInt")


def test_a_cpe_fault_faults_the_task_with_code_and_parameter_faults() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = with_task(device, SetParams(values={SW: "x"}))
    device = apply(device, send_rpc(device, task_id="t1", session_id="s1", at=T0)[1])
    fault = Fault(
        code=9003,
        string="Invalid arguments",
        set_parameter_values_faults=(SetParameterValuesFault(SW, 9008, "read only"),),
    )
    events = receive_answer(device, session_id="s1", answer=fault, at=T0)
    assert [type(e) for e in events] == [RpcFaulted, TaskFaulted]
    assert isinstance(events[1], TaskFaulted)
    assert events[1].fault["code"] == 9003
    assert events[1].fault["parameter_faults"] == [
        {"name": SW, "code": 9008, "string": "read only"}
    ]


def test_reboot_stays_open_until_the_m_reboot_inform() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = with_task(device, RebootTask())
    request, sent = send_rpc(device, task_id="t1", session_id="s1", at=T0)
    assert request == Reboot(command_key="t1")
    device = apply(device, sent)
    device = apply(device, receive_answer(device, session_id="s1", answer=RebootResponse(), at=T0))
    assert device.task("t1") is not None
    assert next_task(device, "s2") is None
    _, events = informed(device, inform("1 BOOT", "M Reboot", keys={"M Reboot": "t1"}), "s2")
    assert [type(e) for e in events] == [InformReceived, TaskCompleted]


def test_factory_reset_is_done_at_the_next_bootstrap() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP", params={SSID: "mine"}))
    device = with_task(device, FactoryResetTask())
    device = apply(device, send_rpc(device, task_id="t1", session_id="s1", at=T0)[1])
    answer = FactoryResetResponse()
    device = apply(device, receive_answer(device, session_id="s1", answer=answer, at=T0))
    _, periodic = informed(device, inform("2 PERIODIC"), "s2")
    assert [type(e) for e in periodic] == [InformReceived]
    device, events = informed(device, inform("0 BOOTSTRAP", "1 BOOT", params={SSID: "f"}), "s2")
    assert [type(e) for e in events] == [InformReceived, TaskCompleted]
    assert device.parameters == {SSID: device.parameters[SSID]}


def test_an_answer_without_an_rpc_in_flight_is_refused() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    with pytest.raises(UnexpectedAnswerError):
        receive_answer(device, session_id="s1", answer=RebootResponse(), at=T0)


def test_an_unanswered_idempotent_task_is_sent_again_in_the_next_session() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = with_task(device, GetParams(names=(SW,)))
    device = with_task(device, RebootTask(), "t2")
    device = apply(device, send_rpc(device, task_id="t1", session_id="s1", at=T0)[1])
    assert next_task(device, "s1") is not None and next_task(device, "s1").task_id == "t2"  # type: ignore[union-attr]
    again = next_task(device, "s2")
    assert again is not None and again.task_id == "t1"


def test_an_unanswered_reboot_is_never_sent_twice() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = with_task(device, RebootTask())
    device = apply(device, send_rpc(device, task_id="t1", session_id="s1", at=T0)[1])
    assert next_task(device, "s2") is None


def test_events_are_numbered_after_the_current_version() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = with_task(device, RebootTask())
    _, sent = send_rpc(device, task_id="t1", session_id="s1", at=T0 + timedelta(seconds=1))
    assert isinstance(sent[0], RpcSent)
    assert sent[0].originator_version == device.version + 1
    assert sent[0].timestamp == T0 + timedelta(seconds=1)


def sent_and_answered(device: Device, task: object, answer: object) -> Device:
    device = with_task(device, task)
    device = apply(device, send_rpc(device, task_id="t1", session_id="s1", at=T0)[1])
    return apply(device, receive_answer(device, session_id="s1", answer=answer, at=T0))  # type: ignore[arg-type]


def transfer_complete(key: str, code: int = 0) -> TransferComplete:
    return TransferComplete(
        command_key=key,
        fault_code=code,
        fault_string="boom" if code else "",
        start_time=None,
        complete_time=None,
    )


def test_a_download_is_done_only_at_its_transfer_complete() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = sent_and_answered(device, DownloadTask(url="http://f/x"), DownloadResponse(1))
    assert device.task("t1") is not None
    other = report_transfer(device, transfer_complete("not-ours"), T0)
    assert [type(e) for e in other] == [TransferReported]
    events = report_transfer(device, transfer_complete("t1"), T0)
    assert [type(e) for e in events] == [TransferReported, TaskCompleted]


def test_a_failed_download_faults_with_the_cpes_code() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = sent_and_answered(device, DownloadTask(url="http://f/x"), DownloadResponse(1))
    events = report_transfer(device, transfer_complete("t1", 9010), T0)
    assert isinstance(events[-1], TaskFaulted)
    assert events[-1].fault == {"code": 9010, "string": "boom"}


def test_an_upload_is_done_with_its_file_once_both_arrived() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = sent_and_answered(device, UploadTask(), UploadResponse(1))
    without_file = report_transfer(device, transfer_complete("t1"), T0)
    assert isinstance(without_file[-1], TaskFaulted)
    device = apply(
        device, receive_file(device, task_id="t1", file_id="f1", size=3, sha256="x", at=T0)
    )
    done = report_transfer(device, transfer_complete("t1"), T0)
    assert isinstance(done[-1], TaskCompleted)
    assert done[-1].result["file"] == "f1"


def test_a_transfer_that_never_completes_faults_after_the_timeout() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = sent_and_answered(device, DownloadTask(url="http://f/x"), DownloadResponse(1))
    assert expire_transfer(device, task_id="t1", timeout=60, at=T0 + timedelta(seconds=59)) == []
    (event,) = expire_transfer(device, task_id="t1", timeout=60, at=T0 + timedelta(seconds=61))
    assert isinstance(event, TaskFaulted)
    assert event.fault["reason"] == "timeout"


def test_schedule_inform_is_done_by_the_session_carrying_its_key() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = sent_and_answered(device, ScheduleInformTask(60), ScheduleInformResponse())
    _, other = informed(device, inform("2 PERIODIC"), "s2")
    assert [type(e) for e in other] == [InformReceived]
    scheduled = inform("3 SCHEDULED", "M ScheduleInform", keys={"M ScheduleInform": "t1"})
    _, events = informed(device, scheduled, "s2")
    assert [type(e) for e in events] == [InformReceived, TaskCompleted]


def test_deleting_an_object_forgets_its_parameters() -> None:
    wlan2 = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.2."
    device, _ = informed(None, inform("0 BOOTSTRAP", params={f"{wlan2}SSID": "x", SSID: "y"}))
    device = sent_and_answered(device, DeleteObjectTask(object=wlan2), DeleteObjectResponse(0))
    assert f"{wlan2}SSID" not in device.parameters
    assert SSID in device.parameters


def test_credentials_are_kept_sealed_in_the_state() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    events = set_credentials(
        device, username="u", sealed_password="sealed:v1:abc", actor="op", at=T0
    )
    device = apply(device, events)
    assert device.credentials is not None
    assert device.credentials.sealed_password == "sealed:v1:abc"
