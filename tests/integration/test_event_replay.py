"""Stored events of every past version replay forever: fixed streams, decoded and projected.

Each file in `tests/fixtures/events/` was recorded once from the same real session history
(bootstrap, get/set params, a faulted set, reboot, factory reset) and must never be edited:
they stand for events already stored in operators' databases. `stream-v1.jsonl` holds the
verbose encoding (id and version inside the JSON, every field written),
`stream-v1-compact.jsonl` the current one.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from acs.adapters.event_store import from_stored
from acs.api.services import Services
from acs.domain.device import project
from acs.domain.events import EVENT_TOPICS

STREAMS = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "events").glob("*.jsonl"))
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"


def stored_stream(path: Path) -> list[StoredEvent]:
    """The stream as rows of the events table."""
    rows = []
    for record in map(json.loads, path.read_text().splitlines()):
        state = record["state"].encode()
        head = json.loads(state) if "originator_id" not in record else record
        rows.append(StoredEvent(UUID(head["originator_id"]), head["originator_version"],
                                record["topic"], state))  # fmt: skip
    return rows


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
def test_every_stored_topic_is_still_known_and_decodes(path: Path) -> None:
    stream = stored_stream(path)
    assert {row.topic for row in stream} <= set(EVENT_TOPICS)
    events = [from_stored(r.topic, r.state, r.originator_id, r.originator_version) for r in stream]
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    device = project(None, events)
    assert device is not None
    assert device.version == 25
    assert device.tasks == ()
    assert SSID not in device.parameters, "the factory reset made the device forget the set SSID"


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
def test_the_stored_stream_rebuilds_the_read_model(services: Services, path: Path) -> None:
    services.store.events.insert_events(stored_stream(path))
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
