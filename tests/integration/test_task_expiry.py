"""Task expiry on real PostgreSQL: the sweeper, the session, a racing session write, the
default expiry, and a rebuild of the read model."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from acs.adapters.settings import Settings
from acs.api.services import Services
from acs.application.devices import decide_and_append, now
from acs.application.task_expiry import TaskExpiry
from acs.domain.decide import expire_tasks, send_rpc
from acs.domain.device import Device
from acs.domain.device_id import aggregate_id
from acs.domain.events import DeviceEvent, RpcSent, TaskExpired
from acs.domain.tasks import GetParams
from tests.integration.conftest import worker_services
from tests.integration.test_projections import snapshot
from tests.support.cpe import SimulatedCpe
from tests.support.driver import run_session

SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
READ = GetParams(names=(SW,))


def registered(services: Services, serial: str) -> SimulatedCpe:
    cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial=serial)
    run_session(services.cwmp, cpe)
    return cpe


def soon(seconds: float = 0.2) -> datetime:
    return now() + timedelta(seconds=seconds)


def wait_until(instant: datetime) -> None:
    time.sleep(max(0.0, (instant - now()).total_seconds()) + 0.05)


def test_the_sweeper_expires_overdue_tasks_once_and_a_rebuild_keeps_them(
    services: Services,
) -> None:
    cpe = registered(services, "SWEEP")
    deadline = soon(2.0)  # beyond the three commands and the catch-up on a loaded machine
    doomed, _ = services.commands.queue_task(cpe.device_id, READ, "alice", deadline)
    later, _ = services.commands.queue_task(cpe.device_id, READ, "alice", soon(3600))
    kept, _ = services.commands.queue_task(cpe.device_id, READ, "alice")
    services.projector.catch_up()
    sweeper = TaskExpiry(services.read, services.commands)
    assert sweeper.run_once() == 0, "nothing is overdue yet"
    wait_until(deadline)
    assert services.read.overdue_tasks() == [cpe.device_id]
    assert sweeper.run_once() == 1
    services.projector.catch_up()
    assert services.read.overdue_tasks() == []
    assert sweeper.run_once() == 0, "expired once"
    task = services.read.task(doomed)
    assert task is not None
    assert (task.status, task.expires_at, task.sent_at) == ("expired", deadline, None)
    assert [services.read.task(t).status for t in (later, kept)] == ["pending", "pending"]  # type: ignore[union-attr]

    live = snapshot(services)
    assert services.projector.rebuild() == services.store.max_position()
    assert snapshot(services) == live

    run_session(services.cwmp, cpe, ["2 PERIODIC"])
    services.projector.catch_up()
    statuses = {t.id: t.status for t in services.read.tasks(cpe.device_id)}
    assert statuses == {doomed: "expired", later: "done", kept: "done"}


def test_a_session_expires_an_overdue_task_before_the_sweeper_and_never_sends_it(
    services: Services,
) -> None:
    cpe = registered(services, "SESSION")
    deadline = soon()
    doomed, _ = services.commands.queue_task(cpe.device_id, READ, "alice", deadline)
    wait_until(deadline)
    assert run_session(services.cwmp, cpe, ["2 PERIODIC"]) == [200, 204], "no RPC sent"
    events = services.store.load_events(aggregate_id(cpe.device_id))
    assert [e.task_id for e in events if isinstance(e, TaskExpired)] == [doomed]
    assert not [e for e in events if isinstance(e, RpcSent)]
    services.projector.catch_up()
    assert services.read.task(doomed).status == "expired"  # type: ignore[union-attr]


def test_a_task_sent_while_the_read_model_lags_is_not_expired_by_the_sweeper(
    services: Services,
) -> None:
    cpe = registered(services, "LAG")
    deadline = soon(2.0)  # the session must send it before it is due, on a loaded machine too
    task_id, _ = services.commands.queue_task(cpe.device_id, READ, "alice", deadline)
    services.projector.catch_up()
    run_session(services.cwmp, cpe, ["2 PERIODIC"])  # sent and done; not projected yet
    wait_until(deadline)
    assert services.read.overdue_tasks() == [cpe.device_id], "the read model still says pending"
    assert TaskExpiry(services.read, services.commands).run_once() == 0
    services.projector.catch_up()
    assert services.read.task(task_id).status == "done"  # type: ignore[union-attr]


def test_a_session_write_racing_the_sweeper_makes_it_decide_again(services: Services) -> None:
    cpe = registered(services, "RACE")
    deadline = soon()
    task_id, _ = services.commands.queue_task(cpe.device_id, READ, "alice", deadline)
    aggregate = aggregate_id(cpe.device_id)
    stale = services.store.load(aggregate)
    assert stale is not None

    def session_sends(device: Device | None) -> list[DeviceEvent]:
        assert device is not None
        return send_rpc(device, task_id=task_id, session_id="s1", at=now())[1]

    decide_and_append(services.store, cpe.device_id, session_sends)
    wait_until(deadline)
    decided_on: list[int] = []

    def sweep(device: Device | None) -> list[DeviceEvent]:
        assert device is not None
        decided_on.append(device.version)
        return expire_tasks(device, at=now())

    _, events, _ = decide_and_append(services.store, cpe.device_id, sweep, state=stale)
    assert decided_on == [stale.version, stale.version + 1], "the conflict made it reload"
    assert events == [], "the task went out meanwhile: it does not expire"
    current = services.store.load(aggregate)
    assert current is not None and current.task(task_id) is not None


@pytest.fixture
def expiring(database_url: str) -> Iterator[Services]:
    """Services whose tasks expire after 0.2 s when their request gives no expiry."""
    with worker_services(Settings(db_pool_size=4, task_expiry=0.2), database_url) as built:
        yield built


def test_the_default_expiry_applies_when_a_task_gives_none(expiring: Services) -> None:
    cpe = registered(expiring, "DEFAULT")
    before = now()
    by_default, _ = expiring.commands.queue_task(cpe.device_id, READ, "alice")
    explicit, _ = expiring.commands.queue_task(cpe.device_id, READ, "alice", soon(3600))
    expiring.projector.catch_up()
    task = expiring.read.task(by_default)
    assert task is not None and task.expires_at is not None
    assert timedelta(0) < task.expires_at - before < timedelta(seconds=1)
    wait_until(task.expires_at)
    assert TaskExpiry(expiring.read, expiring.commands).run_once() == 1
    expiring.projector.catch_up()
    assert expiring.read.task(by_default).status == "expired"  # type: ignore[union-attr]
    assert expiring.read.task(explicit).status == "pending"  # type: ignore[union-attr]
