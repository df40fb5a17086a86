"""Task expiry in the domain: a task never sent in time is never sent and ends `expired`;
a task once sent never expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acs.domain.campaigns import device_outcome
from acs.domain.decide import expire_tasks, queue_task, receive_answer, send_rpc
from acs.domain.device import Device, next_task, project
from acs.domain.events import DeviceEvent, TaskExpired, TaskQueued
from acs.domain.messages import GetParameterNamesResponse, ParameterInfo
from acs.domain.tasks import AnyTask, Expiry, GetParams, Refresh, TaskSpecError, expiry_of
from acs.domain.timeline import describe
from acs.projections import counters
from acs.projections.tasks import TaskChange, fold
from tests.unit.test_device import SW, T0, inform, informed

LATER = T0 + timedelta(minutes=5)
WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration."


def apply(device: Device, events: list[DeviceEvent]) -> Device:
    state = project(device, events)
    assert state is not None
    return state


def queued(
    device: Device, task_id: str, expires_at: datetime | None, task: AnyTask | None = None
) -> list[DeviceEvent]:
    task = task or GetParams(names=(SW,))
    return queue_task(device, task_id=task_id, task=task, actor="op", at=T0, expires_at=expires_at)


def device_with(task_id: str = "t1", expires_at: datetime | None = LATER) -> Device:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    return apply(device, queued(device, task_id, expires_at))


def test_the_expiry_is_recorded_with_the_queued_task() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    (event,) = queued(device, "t1", LATER)
    assert isinstance(event, TaskQueued) and event.expires_at == LATER
    assert apply(device, [event]).tasks[0].expires_at == LATER


def test_a_pending_task_is_sent_before_its_expiry() -> None:
    device = device_with()
    task = next_task(device, "s1", LATER - timedelta(seconds=1))
    assert task is not None and task.task_id == "t1"
    assert expire_tasks(device, at=LATER - timedelta(seconds=1)) == []


def test_a_task_whose_expiry_passed_is_not_sent_even_before_the_sweeper_ran() -> None:
    device = device_with()
    assert next_task(device, "s1", LATER) is None
    assert next_task(device, "s1", LATER + timedelta(days=1)) is None


def test_an_overdue_task_expires_with_one_event_and_leaves_the_device() -> None:
    device = device_with()
    (event,) = expire_tasks(device, at=LATER)
    assert isinstance(event, TaskExpired)
    assert (event.task_id, event.expires_at) == ("t1", LATER)
    assert event.originator_version == device.version + 1
    after = apply(device, [event])
    assert after.tasks == () and next_task(after, "s1", LATER) is None
    assert expire_tasks(after, at=LATER) == [], "an expired task expires once"


def test_only_the_overdue_tasks_expire() -> None:
    device = device_with("t1", LATER)
    device = apply(device, queued(device, "t2", None))
    device = apply(device, queued(device, "t3", LATER + timedelta(hours=1)))
    events = expire_tasks(device, at=LATER)
    assert [e.task_id for e in events if isinstance(e, TaskExpired)] == ["t1"]
    task = next_task(apply(device, events), "s1", LATER)
    assert task is not None and task.task_id == "t2"


def test_a_task_without_expiry_never_expires() -> None:
    device = device_with(expires_at=None)
    assert expire_tasks(device, at=T0 + timedelta(days=3650)) == []
    assert next_task(device, "s1", T0 + timedelta(days=3650)) is not None


def test_a_sent_task_never_expires() -> None:
    device = device_with()
    _, sent = send_rpc(device, task_id="t1", session_id="s1", at=LATER - timedelta(seconds=1))
    device = apply(device, sent)
    assert expire_tasks(device, at=LATER + timedelta(days=1)) == []
    again = next_task(device, "s2", LATER + timedelta(days=1))
    assert again is not None and again.task_id == "t1", "its unanswered read is resent"


def test_a_multi_step_task_between_steps_never_expires() -> None:
    device, _ = informed(None, inform("0 BOOTSTRAP"))
    device = apply(device, queued(device, "t1", LATER, Refresh(path=WLAN)))
    _, sent = send_rpc(device, task_id="t1", session_id="s1", at=T0)
    device = apply(device, sent)
    names = GetParameterNamesResponse(parameters=(ParameterInfo(f"{WLAN}1.SSID", True),))
    device = apply(device, receive_answer(device, session_id="s1", answer=names, at=T0))
    assert device.tasks[0].status == "pending", "waiting for its next step"
    assert expire_tasks(device, at=LATER + timedelta(days=1)) == []
    assert next_task(device, "s1", LATER + timedelta(days=1)) is not None


def test_the_read_model_and_the_metrics_show_the_expired_status() -> None:
    device = device_with()
    events = queued(device, "t2", LATER)
    expired = expire_tasks(apply(device, events), at=LATER)
    changes: dict[str, TaskChange] = {}
    for event in [*events, *expired]:
        fold(changes, event)
    change = changes["t2"]
    assert (change.status, change.expires_at, change.completed_at) == ("expired", LATER, LATER)
    assert change.fault is None and change.result is None
    assert ("acs_tasks_finished_total", (("status", "expired"),)) in counters.keys_of(expired[0])
    assert "expired: not sent before 2026-01-01T00:05:00+00:00" in describe(expired[0])


def test_an_expired_campaign_download_fails_its_device() -> None:
    assert device_outcome("expired", None, "2.0", 0, 3600) == (
        "failed",
        "download expired before it was sent",
    )


def test_expiry_requests_become_instants() -> None:
    assert Expiry().deadline(T0) is None
    assert Expiry(expires_in=60).deadline(T0) == T0 + timedelta(seconds=60)
    assert Expiry(expires_at=LATER).deadline(T0) == LATER
    assert expiry_of({"type": "reboot", "expires_in": 1.5}).deadline(T0) == T0 + timedelta(
        seconds=1.5
    )
    assert expiry_of({"expires_at": "2026-01-01T01:00:00+01:00"}).deadline(T0 - timedelta(1)) == (
        datetime(2026, 1, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    "body",
    [
        {"expires_in": 0},
        {"expires_in": -5},
        {"expires_in": "soon"},
        {"expires_in": 1e12},
        {"expires_at": "tomorrow"},
        {"expires_at": "2026-01-02T00:00:00"},
        {"expires_at": "2025-12-31T00:00:00Z"},
        {"expires_in": 60, "expires_at": "2026-01-02T00:00:00Z"},
    ],
)
def test_a_malformed_or_contradictory_expiry_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(TaskSpecError):
        expiry_of(body).deadline(T0)
