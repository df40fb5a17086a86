"""A device's history on real PostgreSQL: event pages, parameters at past moments, changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acs.api.services import Services
from acs.application.history import History
from acs.domain.device import DeviceNotFoundError
from acs.domain.device_id import aggregate_id
from acs.domain.tasks import (
    AddObjectTask,
    AttributeChange,
    DeleteObjectTask,
    GetParams,
    Refresh,
    SetAttributes,
    SetParams,
)
from acs.projections.history import parameter_changes
from acs.projections.queries import Parameter
from tests.support.cpe import SimulatedCpe
from tests.support.driver import run_session

WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration."
SSID = f"{WLAN}1.SSID"
SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
INTERVAL = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"


def registered(services: Services, serial: str = "H1") -> SimulatedCpe:
    cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial=serial)
    run_session(services.cwmp, cpe)
    return cpe


def run(services: Services, cpe: SimulatedCpe, *tasks: object, actor: str = "alice") -> None:
    for task in tasks:
        services.commands.queue_task(cpe.device_id, task, actor)  # type: ignore[arg-type]
    run_session(services.cwmp, cpe)


def read_model(services: Services, device_id: str) -> list[Parameter]:
    services.projector.catch_up()
    return services.read.parameters(device_id)


def test_event_pages_hold_every_event_once_in_order(services: Services) -> None:
    cpe = registered(services)
    for n in range(130):
        if n % 10 == 0:
            run(services, cpe, GetParams(names=(SW,)))
        services.commands.queue_task(cpe.device_id, GetParams(names=(SSID,)), "bob")
    total = len(services.store.load_events(aggregate_id(cpe.device_id)))
    assert total > 250
    history, seen, after = History(services.store), [], 0
    while True:
        page, after_next = history.events(cpe.device_id, after, 100)
        seen += page
        if after_next is None:
            break
        after = after_next
    assert [r.version for r in seen] == list(range(1, total + 1))
    positions = [r.position for r in seen]
    assert positions == sorted(positions) and len(set(positions)) == total
    assert {r.actor for r in seen} == {"cpe", "acs", "alice", "bob"}


def test_events_of_an_unknown_device_are_an_error(services: Services) -> None:
    with pytest.raises(DeviceNotFoundError):
        History(services.store).events("00AABB-Box-NOPE", 0, 10)


def test_an_empty_page_after_the_last_event_is_not_an_error(services: Services) -> None:
    cpe = registered(services)
    assert History(services.store).events(cpe.device_id, 1000, 10) == ([], None)


def test_parameters_at_each_moment_are_what_the_read_model_showed_then(
    services: Services,
) -> None:
    """Refreshes, new and deleted objects, attributes and a bootstrap: at every moment the
    replay agrees with the live read model, deleted parameters included."""
    before = datetime.now(UTC)
    cpe = registered(services)
    history = History(services.store)
    moments = [(datetime.now(UTC), read_model(services, cpe.device_id))]
    steps = [
        (GetParams(names=(SSID,)), SetParams(values={SSID: "one"})),
        (Refresh(path=WLAN), AddObjectTask(object=WLAN)),
        (SetAttributes((AttributeChange(SW, 2, ("Subscriber",)),)),),
        (DeleteObjectTask(object=f"{WLAN}1."),),
    ]
    for tasks in steps:
        run(services, cpe, *tasks)
        moments.append((datetime.now(UTC), read_model(services, cpe.device_id)))
    run_session(services.cwmp, cpe, ["0 BOOTSTRAP", "1 BOOT"])
    moments.append((datetime.now(UTC), read_model(services, cpe.device_id)))
    assert history.parameters_at(cpe.device_id, before) == []
    for at, shown in moments:
        assert history.parameters_at(cpe.device_id, at) == shown, at
    names = [{p.name for p in shown} for _, shown in moments]
    assert SSID in names[3] and SSID not in names[4], "the deleted object is gone"
    stale = {p.name for p in moments[-1][1] if p.stale}
    assert f"{WLAN}2.SSID" in stale and SW not in stale


def test_parameters_at_a_moment_of_a_history_longer_than_a_page(
    services: Services,
) -> None:
    cpe = registered(services)
    run(services, cpe, SetParams(values={SSID: "early"}))
    early = datetime.now(UTC)
    for n in range(1100):
        services.commands.set_credentials(cpe.device_id, "acs", f"secret-{n}", "bob")
    run(services, cpe, SetParams(values={SSID: "late"}))
    history = History(services.store)
    assert {p.name: p.value for p in history.parameters_at(cpe.device_id, early)}[SSID] == "early"
    now = history.parameters_at(cpe.device_id, datetime.now(UTC) + timedelta(seconds=1))
    assert now == read_model(services, cpe.device_id)


def test_a_subtrees_changes_come_a_whole_event_at_a_time(services: Services) -> None:
    cpe = registered(services)
    run(services, cpe, Refresh(path=WLAN), actor="carol")
    run(services, cpe, SetParams(values={SSID: "one"}), actor="dave")
    read_model(services, cpe.device_id)
    everything, more = parameter_changes(services.pool, cpe.device_id, WLAN, 0, 1000)
    assert more is None and len(everything) > 2
    paged, after = [], 0
    while True:
        page, next_after = parameter_changes(services.pool, cpe.device_id, WLAN, after, 1)
        assert len({c.position for c in page}) == 1
        paged += page
        if next_after is None:
            break
        after = next_after
    assert paged == everything
    assert [c.actor for c in everything if c.name == SSID] == ["carol", "dave"]
    assert {c.cause for c in everything} == {"task"}


def test_a_parameters_changes_name_the_inform_the_task_or_the_preset(
    services: Services,
) -> None:
    cpe = registered(services)
    old = cpe.values[INTERVAL][0]
    cpe.values[INTERVAL] = ("600", cpe.values[INTERVAL][1])
    run(services, cpe)
    run(services, cpe, SetParams(values={INTERVAL: "900"}), actor="erin")
    run(services, cpe, SetParams(values={INTERVAL: "1200"}), actor="preset:wifi")
    read_model(services, cpe.device_id)
    changes, _ = parameter_changes(services.pool, cpe.device_id, INTERVAL, 0, 100)
    assert [(c.value, c.cause, c.actor) for c in changes] == [
        (old, "inform", "cpe"),
        ("600", "inform", "cpe"),
        ("900", "task", "erin"),
        ("1200", "preset", "preset:wifi"),
    ]
    assert changes[2].task_id is not None
    assert [c.changed_at for c in changes] == sorted(c.changed_at for c in changes)
