"""Device events in PostgreSQL: append, load, snapshots, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from acs.adapters.event_store import LOAD_PAGE, SNAPSHOT_EVERY, ConcurrencyError, EventStore
from acs.api.services import Services
from acs.application.devices import decide_and_append
from acs.domain.decide import queue_task, receive_inform
from acs.domain.device import project
from acs.domain.device_id import aggregate_id
from acs.domain.messages import DeviceIdStruct, EventStruct, Inform, ParameterValue
from acs.domain.tasks import GetParams

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PUBLIC = "00AABB-Box-S1"
INFORM = Inform(
    device_id=DeviceIdStruct("Acme", "00AABB", "Box", "S1"),
    events=(EventStruct("0 BOOTSTRAP"),),
    max_envelopes=1,
    current_time=None,
    retry_count=0,
    parameters=(ParameterValue("InternetGatewayDevice.DeviceInfo.SoftwareVersion", "1.0"),),
)


def register(store: EventStore) -> None:
    decide_and_append(
        store,
        PUBLIC,
        lambda d: receive_inform(
            d,
            INFORM,
            aggregate=aggregate_id(PUBLIC),
            public_id=PUBLIC,
            source_ip="127.0.0.1",
            session_id="s",
            cwmp_version="V1_0",
            at=T0,
        ),
    )


def queue(store: EventStore, task_id: str) -> None:
    decide_and_append(
        store,
        PUBLIC,
        lambda d: queue_task(d, task_id=task_id, task=GetParams(names=("A.",)), actor="op", at=T0),
    )


def test_appended_events_load_back_as_the_same_state(services: Services) -> None:
    register(services.store)
    queue(services.store, "t1")
    device = services.store.load(aggregate_id(PUBLIC))
    assert device is not None
    assert device.version == 2
    assert device.task("t1") is not None
    assert device.parameters["InternetGatewayDevice.DeviceInfo.SoftwareVersion"].value == "1.0"


def test_a_stale_writer_gets_a_concurrency_error_and_nothing_is_written(services: Services) -> None:
    register(services.store)
    device = services.store.load(aggregate_id(PUBLIC))
    first = queue_task(device, task_id="a", task=GetParams(names=("A.",)), actor="op", at=T0)
    second = queue_task(device, task_id="b", task=GetParams(names=("B.",)), actor="op", at=T0)
    services.store.append(first)
    with pytest.raises(ConcurrencyError):
        services.store.append(second)
    assert len(services.store.load_events(aggregate_id(PUBLIC))) == 2


def test_concurrent_commands_on_one_device_all_land(services: Services) -> None:
    register(services.store)
    threads = [threading.Thread(target=queue, args=(services.store, f"t{i}")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    device = services.store.load(aggregate_id(PUBLIC))
    assert device is not None
    assert sorted(t.task_id for t in device.tasks) == sorted(f"t{i}" for i in range(8))


def test_state_loaded_through_a_snapshot_equals_a_full_replay(services: Services) -> None:
    register(services.store)
    for i in range(3 * SNAPSHOT_EVERY + 5):
        queue(services.store, f"t{i}")
    aggregate = aggregate_id(PUBLIC)
    kept = services.store.snapshots.select_events(aggregate)
    assert [s.originator_version for s in kept] == [3 * SNAPSHOT_EVERY], "only the latest is kept"
    services.store.cache.drop(aggregate)
    replayed = project(None, services.store.load_events(aggregate))
    assert services.store.load(aggregate) == replayed


def test_a_history_longer_than_a_load_page_loads_whole(services: Services) -> None:
    """Events past the snapshot beyond one page (appended without snapshots) all count, both
    when the state is loaded afresh and when a cached state is brought up to date."""
    store, aggregate = services.store, aggregate_id(PUBLIC)
    register(store)
    cached = store.load(aggregate)
    assert cached is not None
    device = cached
    for i in range(2 * LOAD_PAGE + 7):
        events = queue_task(device, task_id=f"t{i}", task=GetParams(names=("A.",)), actor="op",
                            at=T0)  # fmt: skip
        store.append(events)
        device = project(device, events)
    assert device.version == 2 * LOAD_PAGE + 8
    store.cache.put(cached)
    assert store.load(aggregate) == device, "a stale cached state is brought up to date"
    store.cache.drop(aggregate)
    assert store.load(aggregate) == device, "a fresh load reads every page"
