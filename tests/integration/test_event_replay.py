"""Stored events of every past version replay forever: a fixed stream, decoded and projected.

`tests/fixtures/events/stream-v1.jsonl` was recorded once from a real session history
(bootstrap, get/set params, a faulted set, reboot, factory reset) and must never be edited:
it stands for events already stored in operators' databases.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from acs.adapters.event_store import from_stored
from acs.api.services import Services
from acs.domain.device import project
from acs.domain.events import EVENT_TOPICS

STREAM = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "stream-v1.jsonl"
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"


def stored_stream() -> list[tuple[str, bytes]]:
    lines = STREAM.read_text().splitlines()
    return [(r["topic"], r["state"].encode()) for r in map(json.loads, lines)]


def test_every_stored_topic_is_still_known_and_decodes() -> None:
    stream = stored_stream()
    assert {topic for topic, _ in stream} <= set(EVENT_TOPICS)
    events = [from_stored(topic, state) for topic, state in stream]
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    device = project(None, events)
    assert device is not None
    assert device.version == 25
    assert device.tasks == ()
    assert SSID not in device.parameters, "the factory reset made the device forget the set SSID"


def test_the_stored_stream_rebuilds_the_read_model(services: Services) -> None:
    stored = []
    for topic, state in stored_stream():
        head = json.loads(state)
        stored.append(
            StoredEvent(UUID(head["originator_id"]), head["originator_version"], topic, state)
        )
    services.store.events.insert_events(stored)
    assert services.projector.rebuild() == 25
    (device,) = services.read.devices(10, 0)
    assert device.id == "202BC1-BM632w-REPLAY%2D1"
    tasks = services.read.tasks(device.id)
    assert [(t.type, t.status, t.actor) for t in tasks] == [
        ("get_params", "done", "alice"),
        ("set_params", "done", "alice"),
        ("set_params", "fault", "bob"),
        ("reboot", "done", "carol"),
        ("factory_reset", "done", "dave"),
    ]
    assert tasks[2].fault is not None and tasks[2].fault["code"] == 9003
    with services.pool.connection() as conn:
        history = conn.execute(
            "SELECT value FROM parameter_history WHERE name = %s ORDER BY event_position", (SSID,)
        ).fetchall()
    assert ("replayed",) in history
