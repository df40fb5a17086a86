"""Device events in PostgreSQL: append, load, snapshots, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import msgspec
import pytest

from acs.adapters.event_store import (
    LOAD_PAGE,
    SNAPSHOT_EVERY,
    ConcurrencyError,
    EventStore,
    Rider,
    datastore_for,
)
from acs.api.services import Services
from acs.application.devices import decide_and_append
from acs.domain.decide import queue_task, receive_inform
from acs.domain.device import Device, project
from acs.domain.device_id import aggregate_id
from acs.domain.events import DeviceEvent
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


@pytest.mark.parametrize("cached", [False, True], ids=["from_snapshot", "from_cache"])
def test_a_load_with_a_rider_returns_the_same_state_and_the_riders_value(
    services: Services, cached: bool
) -> None:
    store, aggregate = services.store, aggregate_id(PUBLIC)
    register(store)
    for i in range(SNAPSHOT_EVERY + 3):
        queue(store, f"t{i}")
    if not cached:
        store.cache.drop(aggregate)
    expected = project(None, store.load_events(aggregate))
    marker = Rider("SELECT convert_to(%(word)s, 'UTF8')", {"word": "ridden"})
    assert store.load_riding(aggregate, marker) == (expected, b"ridden")
    store.cache.drop(aggregate)
    nothing = Rider("SELECT state FROM cwmp_sessions WHERE session_id = %(s)s", {"s": "none"})
    assert store.load_riding(aggregate, nothing) == (expected, None)
    assert store.load_riding(aggregate_id("00AABB-Box-NEW"), marker) == (None, b"ridden")


def test_a_data_modifying_rider_runs_once_with_the_load(services: Services) -> None:
    store, aggregate = services.store, aggregate_id(PUBLIC)
    register(store)
    insert = Rider(
        "INSERT INTO cwmp_sessions (device_id, session_id, state, expires_at) "
        "VALUES (%(d)s, %(s)s, '\\x00', now()) RETURNING convert_to(session_id, 'UTF8')",
        {"d": PUBLIC, "s": "riding"},
    )
    device, value = store.load_riding(aggregate, insert)
    assert device == store.load(aggregate) and value == b"riding"
    with services.pool.connection() as conn:
        rows = conn.execute("SELECT session_id FROM cwmp_sessions").fetchall()
    assert rows == [("riding",)]


def inform_events(device: Device | None, serial: str, session: str) -> list[DeviceEvent]:
    """The events of an Inform from the device `serial` (registering it if new)."""
    public = f"00AABB-Box-{serial}"
    inform = msgspec.structs.replace(
        INFORM, device_id=DeviceIdStruct("Acme", "00AABB", "Box", serial)
    )
    return receive_inform(device, inform, aggregate=aggregate_id(public), public_id=public,
                          source_ip="127.0.0.1", session_id=session, cwmp_version="V1_0",
                          at=T0)  # fmt: skip


def test_one_append_of_several_devices_returns_each_events_position_in_order(
    services: Services,
) -> None:
    store = services.store
    batch = [e for serial in ("S1", "S2", "S3") for e in inform_events(None, serial, "s")]
    positions = store.append(batch)
    assert positions == sorted(positions) and len(set(positions)) == len(batch)
    logged = store.notifications(positions[0] - 1, len(batch))
    assert [n.position for n in logged] == positions
    assert [n.event for n in logged] == batch


def test_a_reader_tailing_the_log_while_workers_append_misses_nothing(
    services: Services, database_url: str
) -> None:
    """Positions become visible in commit order, so a reader that only asks for what comes
    after the last position it saw never skips an event committed later, however many
    workers (each with its own event store and group commit) append at once."""
    store, writers, rounds = services.store, 6, 40
    done = threading.Event()
    seen: list[int] = []

    def write(serial: str) -> None:
        worker = EventStore(datastore_for(database_url, pool_size=2))
        try:
            for i in range(rounds):
                decide_and_append(worker, f"00AABB-Box-{serial}",
                                  lambda d, i=i: inform_events(d, serial, f"s{i}"))  # fmt: skip
        finally:
            worker.close()

    def tail() -> None:
        while True:
            finished = done.is_set()
            page = store.notifications(seen[-1] if seen else 0, 100)
            seen.extend(n.position for n in page)
            if finished and not page:
                return

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=write, args=(f"W{w}",)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join(timeout=30)
    stored = store.max_position()
    assert stored >= writers * rounds, "every Inform recorded"
    assert seen == list(range(1, stored + 1)), "each position once, in order, none skipped"


def test_a_worker_keeps_the_states_it_loads_and_appends(services: Services) -> None:
    """The store uses the cache it was built with, even while that cache is empty."""
    aggregate = aggregate_id(PUBLIC)
    assert len(services.store.cache) == 0
    register(services.store)
    assert services.store.cache.get(aggregate) == project(
        None, services.store.load_events(aggregate)
    )
