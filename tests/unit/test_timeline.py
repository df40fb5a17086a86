"""A device's events as auditors read them: actors, data and timeline lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from acs.domain.device_id import aggregate_id
from acs.domain.events import (
    AutonomousTransferReported,
    ConnectionRequestCredentialsSet,
    ConnectionRequested,
    DeviceEvent,
    DeviceTagged,
    DeviceUntagged,
    DownloadRequested,
    FileReceived,
    InformReceived,
    RpcAnswered,
    RpcFaulted,
    RpcSent,
    TaskAdvanced,
    TaskCompleted,
    TaskFaulted,
    TaskQueued,
    TransferReported,
)
from acs.domain.messages import ParameterValue
from acs.domain.tasks import HIDDEN, AttributeChange, DownloadTask, GetParams, SetParams
from acs.domain.timeline import actor_of, describe, event_data, line, timeline

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TASK = "1a2b3c4d5e6f"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
CHANNEL = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.Channel"


def head(version: int = 1) -> dict[str, Any]:
    return {
        "originator_id": aggregate_id("00AABB-Box-S1"),
        "originator_version": version,
        "timestamp": T0 + timedelta(seconds=version),
    }


def inform(*codes: str, parameters: tuple[ParameterValue, ...] = ()) -> InformReceived:
    return InformReceived(**head(), event_codes=codes, parameters=parameters)


BY_CPE = [
    inform("2 PERIODIC"),
    RpcAnswered(**head(), task_id=TASK, method="GetParameterValues"),
    RpcFaulted(
        **head(), task_id=TASK, method="GetParameterValues", fault_code=9005, fault_string=""
    ),
    TransferReported(**head(), command_key=TASK),
    AutonomousTransferReported(**head()),
    DownloadRequested(**head(), file_type="1 Firmware Upgrade Image"),
    FileReceived(**head(), task_id=TASK, file_id="f1", size=10, sha256="00"),
]
BY_ACS = [
    RpcSent(**head(), task_id=TASK, method="GetParameterValues", session_id="s"),
    ConnectionRequested(**head(), url="http://cpe", outcome="ok"),
    TaskAdvanced(**head(), task_id=TASK, stage=1),
    TaskCompleted(**head(), task_id=TASK),
    TaskFaulted(**head(), task_id=TASK, fault={"code": 9005}),
]


@pytest.mark.parametrize("event", BY_CPE, ids=lambda e: type(e).__name__)
def test_what_the_device_did_or_said_is_the_cpes(event: DeviceEvent) -> None:
    assert actor_of(event) == "cpe"


@pytest.mark.parametrize("event", BY_ACS, ids=lambda e: type(e).__name__)
def test_what_the_acs_did_on_its_own_is_the_acss(event: DeviceEvent) -> None:
    assert actor_of(event) == "acs"


def test_operator_events_name_their_operator() -> None:
    queued = TaskQueued(**head(), task_id=TASK, task=GetParams(names=(SSID,)), actor="alice")
    credentials = ConnectionRequestCredentialsSet(
        **head(), username="acs", sealed_password="gAAAA-sealed", actor="bob"
    )
    tagged = DeviceTagged(**head(), tag="lab", actor="carol")
    untagged = DeviceUntagged(**head(), tag="lab", actor="dave")
    actors = [actor_of(e) for e in (queued, credentials, tagged, untagged)]
    assert actors == ["alice", "bob", "carol", "dave"]


def test_an_event_type_added_later_with_an_actor_is_that_operators() -> None:
    class NoteAdded(DeviceEvent, frozen=True, kw_only=True):
        note: str
        actor: str

    event = NoteAdded(**head(), note="moved to lab", actor="carol")
    assert actor_of(event) == "carol"
    assert describe(event) == "NoteAdded by carol"
    assert event_data(event) == {"note": "moved to lab", "actor": "carol"}


def test_event_data_holds_the_events_own_fields_as_json() -> None:
    event = inform("2 PERIODIC", parameters=(ParameterValue(SSID, "home"),))
    data = event_data(event)
    assert "originator_id" not in data and "timestamp" not in data
    assert data["event_codes"] == ["2 PERIODIC"]
    assert data["parameters"] == [{"name": SSID, "value": "home", "type": "xsd:string"}]


def test_event_data_never_shows_a_sealed_secret() -> None:
    credentials = ConnectionRequestCredentialsSet(
        **head(), username="acs", sealed_password="gAAAA-sealed", actor="bob"
    )
    download = TaskQueued(
        **head(),
        task_id=TASK,
        task=DownloadTask(url="http://fw", password="gAAAA-sealed"),
        actor="alice",
    )
    assert event_data(credentials)["sealed_password"] == HIDDEN
    task = event_data(download)["task"]
    assert task["type"] == "download" and task["password"] == HIDDEN
    assert "gAAAA" not in repr(event_data(download))


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (inform("2 PERIODIC"), "Inform 2 PERIODIC (no parameter changed)"),
        (
            inform("0 BOOTSTRAP", "1 BOOT", parameters=(ParameterValue(SSID, "home"),)),
            "Inform 0 BOOTSTRAP, 1 BOOT (1 parameter changed: SSID=home)",
        ),
        (
            inform(
                "4 VALUE CHANGE",
                parameters=tuple(ParameterValue(f"X.P{n}", str(n)) for n in range(5)),
            ),
            "Inform 4 VALUE CHANGE (5 parameters changed: P0=0, P1=1, P2=2 and 2 more)",
        ),
        (
            RpcSent(**head(), task_id=TASK, method="GetParameterValues", session_id="s"),
            "GetParameterValues sent (task 1a2b3c4d… get_params)",
        ),
        (
            RpcAnswered(
                **head(),
                task_id=TASK,
                method="GetParameterValues",
                parameters=(ParameterValue(SSID, "home"), ParameterValue(CHANNEL, "6")),
            ),
            "GetParameterValues answered: SSID=home, Channel=6",
        ),
        (
            RpcAnswered(**head(), task_id=TASK, method="SetParameterValues", result={"status": 0}),
            "SetParameterValues answered: status=0",
        ),
        (
            RpcAnswered(**head(), task_id=TASK, method="DeleteObject", scope="X.WLAN.2."),
            "DeleteObject answered; nothing else under X.WLAN.2.",
        ),
        (
            RpcAnswered(
                **head(),
                task_id=TASK,
                method="SetParameterAttributes",
                attributes=(AttributeChange(SSID, 2),),
            ),
            "SetParameterAttributes answered; attributes of 1 parameter",
        ),
        (
            RpcFaulted(
                **head(),
                task_id=TASK,
                method="GetParameterValues",
                fault_code=9005,
                fault_string="Invalid parameter name",
            ),
            "fault 9005 Invalid parameter name (GetParameterValues)",
        ),
        (TaskAdvanced(**head(), task_id=TASK, stage=1), "task 1a2b3c4d… get_params on to step 1"),
        (TaskCompleted(**head(), task_id=TASK), "task 1a2b3c4d… get_params done"),
        (
            TaskFaulted(**head(), task_id="other", fault={"code": 9005, "string": "Bad name"}),
            "task other faulted: 9005 Bad name",
        ),
        (
            TransferReported(**head(), command_key=TASK),
            "TransferComplete (task 1a2b3c4d… get_params): ok",
        ),
        (
            TransferReported(**head(), command_key="k", fault_code=9010, fault_string="failed"),
            "TransferComplete (task k): fault 9010 failed",
        ),
        (
            AutonomousTransferReported(**head(), file_type="1 Firmware Upgrade Image"),
            "autonomous download of 1 Firmware Upgrade Image: ok",
        ),
        (
            DownloadRequested(**head(), file_type="1 Firmware Upgrade Image"),
            "RequestDownload of 1 Firmware Upgrade Image",
        ),
        (
            FileReceived(**head(), task_id=TASK, file_id="f1", size=10, sha256="00"),
            "file f1 received (task 1a2b3c4d… get_params, 10 bytes)",
        ),
        (
            ConnectionRequestCredentialsSet(
                **head(), username="acs", sealed_password="gAAAA", actor="bob"
            ),
            "connection request credentials set for user acs by bob",
        ),
        (ConnectionRequested(**head(), url="u", outcome="ok"), "connection request: ok"),
        (DeviceTagged(**head(), tag="lab", actor="carol"), "tag lab added by carol"),
        (DeviceUntagged(**head(), tag="lab", actor="carol"), "tag lab removed by carol"),
        (
            ConnectionRequested(**head(), url="u", outcome="timeout", detail="no answer in 5 s"),
            "connection request: timeout (no answer in 5 s)",
        ),
    ],
)
def test_each_event_reads_as_a_short_sentence(event: DeviceEvent, text: str) -> None:
    assert describe(event, {TASK: "get_params"}) == text


def test_a_long_value_is_cut_short() -> None:
    event = inform("2 PERIODIC", parameters=(ParameterValue(SSID, "x" * 100),))
    assert describe(event) == f"Inform 2 PERIODIC (1 parameter changed: SSID={'x' * 40}…)"


def test_the_timeline_names_tasks_by_the_type_they_were_queued_with() -> None:
    events = [
        inform("0 BOOTSTRAP"),
        TaskQueued(**head(2), task_id=TASK, task=SetParams(values={SSID: "a"}), actor="alice"),
        RpcSent(**head(3), task_id=TASK, method="SetParameterValues", session_id="s"),
        TaskCompleted(**head(4), task_id=TASK),
    ]
    lines = list(timeline(events))
    assert (
        lines[1]
        == "2026-03-01T12:00:02.000+00:00  #2     task 1a2b3c4d… set_params queued by alice"
    )
    assert lines[3].endswith("#4     task 1a2b3c4d… set_params done")
    assert lines[0] == line(events[0], {})
