"""The read model on real PostgreSQL: live projection, rebuild, crash and restart."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from acs.api.services import Services
from acs.domain.device_id import aggregate_id
from acs.domain.events import InformReceived
from acs.domain.messages import ParameterValue
from acs.domain.tasks import (
    AddObjectTask,
    AttributeChange,
    DeleteObjectTask,
    GetParams,
    RebootTask,
    Refresh,
    SetAttributes,
    SetParams,
)
from acs.projections.runner import READ_MODEL_TABLES, ProjectionRunner
from tests.support.cpe import SimulatedCpe
from tests.support.driver import run_session

WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration."
SSID = f"{WLAN}1.SSID"
SW = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
TABLES = {
    "devices": "SELECT * FROM devices ORDER BY id",
    "parameters": "SELECT * FROM parameters ORDER BY device_id, name",
    "parameter_history": "SELECT * FROM parameter_history ORDER BY device_id, name, event_position",
    "tasks": "SELECT * FROM tasks ORDER BY id",
    "parameter_attributes": "SELECT * FROM parameter_attributes ORDER BY device_id, name",
    "activity_by_minute": "SELECT * FROM activity_by_minute ORDER BY minute",
    "metrics_counters": "SELECT * FROM metrics_counters ORDER BY name, labels::text",
}
SCHEMA = """
SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index
WHERE indrelid::regclass::text = ANY(%(tables)s)
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid::regclass::text = ANY(%(tables)s)
ORDER BY 1, 2"""


def snapshot(services: Services) -> dict[str, list[Any]]:
    with services.pool.connection() as conn:
        return {name: conn.execute(query).fetchall() for name, query in TABLES.items()}


def fleet_history(services: Services, devices: int = 3) -> None:
    """Bootstraps, periodic Informs and every task type, for a few devices."""
    for n in range(devices):
        cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial=f"P{n:04d}")
        run_session(services.cwmp, cpe)
        for tag in ("lab", "vip", f"fleet:{n}"):
            services.commands.tag(cpe.device_id, tag, "tester")
        for spec in (GetParams(names=(SW,)), SetParams(values={SSID: f"net-{n}"}), RebootTask()):
            services.commands.queue_task(cpe.device_id, spec, "tester")
        run_session(services.cwmp, cpe)
        run_session(services.cwmp, cpe)
        services.commands.queue_task(cpe.device_id, SetParams(values={SSID: "other"}), "tester")
        run_session(services.cwmp, cpe)
        for spec in (
            Refresh(path=WLAN),
            AddObjectTask(object=WLAN),
            SetAttributes((AttributeChange(SW, 2, ("Subscriber",)),)),
            DeleteObjectTask(object=f"{WLAN}1."),
        ):
            services.commands.queue_task(cpe.device_id, spec, "tester")
        retag(services, cpe.device_id)
        run_session(services.cwmp, cpe)


def retag(services: Services, device_id: str) -> None:
    """Tags taken off and put on again, so that batches split a tag's events every way."""
    services.commands.untag(device_id, "lab", "tester")
    services.commands.tag(device_id, "zz", "tester")
    services.commands.tag(device_id, "lab", "tester")
    services.commands.untag(device_id, "vip", "tester")
    services.commands.untag(device_id, "zz", "tester")
    services.commands.tag(device_id, "vip", "tester")
    services.commands.untag(device_id, "vip", "tester")


def test_projection_builds_devices_parameters_history_and_tasks(services: Services) -> None:
    cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial="ONE")
    run_session(services.cwmp, cpe)
    services.commands.queue_task(cpe.device_id, SetParams(values={SSID: "new"}), "alice")
    run_session(services.cwmp, cpe)
    services.projector.catch_up()
    assert services.read.device(cpe.device_id) is not None
    tasks = services.read.tasks(cpe.device_id)
    assert [(t.type, t.status, t.actor) for t in tasks] == [("set_params", "done", "alice")]
    current = {p.name: p.value for p in services.read.parameters(cpe.device_id)}
    assert current[SSID] == "new"
    with services.pool.connection() as conn:
        values = conn.execute(
            "SELECT value, cause FROM parameter_history WHERE device_id = %s AND name = %s "
            "ORDER BY event_position",
            (cpe.device_id, SSID),
        ).fetchall()
    assert values == [("new", "task")], "the SSID is not in the Inform: the task set it first"


def test_rebuild_yields_the_same_rows_as_the_live_projection(services: Services) -> None:
    fleet_history(services)
    services.projector.catch_up()
    live = snapshot(services)
    assert len(live["devices"]) == 3 and len(live["tasks"]) == 24
    assert {row[4] for row in live["tasks"]} == {"done"}
    assert live["parameter_attributes"]
    assert services.projector.rebuild() == services.store.max_position()
    assert snapshot(services) == live


def interleaved_history(services: Services, devices: int = 3) -> None:
    """Devices whose sessions and tasks alternate, so the log interleaves their events."""
    cpes = [SimulatedCpe("http://127.0.0.1:1/cwmp", serial=f"I{n:04d}") for n in range(devices)]
    for cpe in cpes:
        run_session(services.cwmp, cpe)
    for round_ in range(3):
        for n, cpe in enumerate(cpes):
            services.commands.tag(cpe.device_id, f"round:{round_}", "tester")
            services.commands.queue_task(
                cpe.device_id, SetParams(values={SSID: f"net-{n}-{round_}"}), "tester"
            )
        for cpe in cpes:
            run_session(services.cwmp, cpe)
    services.commands.queue_task(cpes[0].device_id, Refresh(path=WLAN), "tester")
    services.commands.queue_task(cpes[0].device_id, DeleteObjectTask(object=f"{WLAN}1."), "t")
    run_session(services.cwmp, cpes[0])


def test_a_rebuild_in_device_order_equals_the_live_tables_built_in_log_order(
    services: Services,
) -> None:
    interleaved_history(services)
    while services.projector.run_once(batch=5):
        pass
    live = snapshot(services)
    assert len(live["devices"]) == 3 and {row[4] for row in live["tasks"]} == {"done"}
    assert any(name.startswith(SSID) for _, name, *_ in live["parameter_history"])
    for size in (1, 4, 1000):
        assert services.projector.rebuild(batch=size) == services.store.max_position()
        assert snapshot(services) == live, f"batches of {size}"


def schema(services: Services) -> list[Any]:
    with services.pool.connection() as conn:
        return conn.execute(SCHEMA, {"tables": list(READ_MODEL_TABLES)}).fetchall()


def test_a_rebuild_makes_every_index_and_foreign_key_again(services: Services) -> None:
    before = schema(services)
    assert any(kind == "constraint" and "FOREIGN KEY" in text for kind, _, text in before)
    assert any(kind == "index" and "USING gin" in text for kind, _, text in before)
    fleet_history(services, devices=1)
    services.projector.rebuild()
    assert schema(services) == before


def test_a_failed_rebuild_leaves_the_rows_and_the_indexes_as_they_were(
    services: Services,
) -> None:
    fleet_history(services, devices=2)
    services.projector.catch_up()
    live, indexes = snapshot(services), schema(services)

    def crash(stage: str) -> None:
        if stage == "parameters":
            raise RuntimeError("crash with the indexes set aside and devices written")

    doomed = ProjectionRunner(services.store, services.pool, "unused", on_stage=crash)
    with pytest.raises(RuntimeError):
        doomed.rebuild()
    assert snapshot(services) == live
    assert schema(services) == indexes
    assert services.projector.position() == services.store.max_position()


def test_the_read_model_does_not_depend_on_how_events_are_batched(services: Services) -> None:
    fleet_history(services, devices=2)
    services.projector.rebuild(batch=1)
    one_by_one = snapshot(services)
    assert one_by_one["parameters"] and one_by_one["tasks"]
    tags = [d.tags for d in services.read.devices(10, 0)]
    assert tags == [["fleet:0", "lab"], ["fleet:1", "lab"]], "tags as the events leave them"
    for size in (3, 17, 1000):
        services.projector.rebuild(batch=size)
        assert snapshot(services) == one_by_one, f"batches of {size}"


def test_a_restarted_runner_neither_loses_nor_repeats_an_event(services: Services) -> None:
    fleet_history(services)
    total = services.store.max_position()
    services.projector.run_once(batch=7)
    restarted = ProjectionRunner(services.store, services.pool, "unused")
    assert restarted.position() == 7
    restarted.catch_up()
    assert restarted.position() == total
    caught_up = snapshot(services)
    restarted.rebuild()
    assert snapshot(services) == caught_up


def test_a_read_model_restored_without_its_position_is_rebuilt_and_caught_up(
    services: Services,
) -> None:
    fleet_history(services)
    services.projector.catch_up()
    live = snapshot(services)
    with services.pool.connection() as conn:
        conn.execute("DELETE FROM projection_tracking")
    assert services.projector.rebuild() == services.store.max_position()
    assert services.projector.position() == services.store.max_position()
    assert snapshot(services) == live


def test_a_runner_that_crashes_mid_batch_applies_nothing_of_that_batch(services: Services) -> None:
    fleet_history(services, devices=1)

    def crash(stage: str) -> None:
        if stage == "parameters":
            raise RuntimeError("crash after devices and parameters were written")

    doomed = ProjectionRunner(services.store, services.pool, "unused", on_stage=crash)
    with pytest.raises(RuntimeError):
        doomed.run_once(batch=1000)
    assert services.projector.position() == 0
    assert snapshot(services)["devices"] == []
    services.projector.catch_up()
    caught_up = snapshot(services)
    services.projector.rebuild()
    assert snapshot(services) == caught_up


def test_the_rebuild_command_reproduces_the_live_tables(
    services: Services, database_url: str
) -> None:
    fleet_history(services, devices=2)
    services.projector.catch_up()
    live = snapshot(services)
    env = {**os.environ, "ACS_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "acs.cli", "projections", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert f"rebuilt from {services.store.max_position()} events" in done.stdout
    assert snapshot(services) == live


def test_a_parameter_listed_twice_in_one_inform_keeps_its_first_value_in_history(
    services: Services,
) -> None:
    cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial="TWICE")
    run_session(services.cwmp, cpe)
    aggregate = aggregate_id(cpe.device_id)
    device = services.store.load(aggregate)
    assert device is not None
    twice = (ParameterValue(SW, "first"), ParameterValue(SW, "second"))
    services.store.append([
        InformReceived(originator_id=aggregate, originator_version=device.version + 1,
                       timestamp=datetime.now(UTC), event_codes=("2 PERIODIC",),
                       parameters=twice),
    ])  # fmt: skip
    services.projector.catch_up()
    live = snapshot(services)
    history = [row[2] for row in live["parameter_history"] if row[1] == SW]
    assert history[-1] == "first"
    assert {p.name: p.value for p in services.read.parameters(cpe.device_id)}[SW] == "second"
    assert services.projector.rebuild() == services.store.max_position()
    assert snapshot(services) == live
