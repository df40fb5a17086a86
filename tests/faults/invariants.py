"""What must hold after any traffic, however hostile: the read model equals a rebuild from the
events, and every aggregate's history is gap-free and folds again from its first event."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from uuid import UUID

import psycopg

from acs.adapters.event_store import EventStore, datastore_for
from acs.domain import campaign_commands
from acs.domain.device import project
from acs.domain.events import BulkCreated, CampaignCreated, DeviceEvent, PresetSaved
from acs.projections.runner import READ_MODEL_TABLES
from tests.conftest import ROOT

PAGE = 1000


def read_model(url: str) -> dict[str, list[str]]:
    """Every read-model table, its rows as text, sorted."""
    with psycopg.connect(url) as conn:
        return {
            table: sorted(str(row) for row in conn.execute(f"SELECT * FROM {table}").fetchall())
            for table in READ_MODEL_TABLES
        }


def assert_read_model_equals_a_rebuild(url: str) -> None:
    """`acs projections rebuild` on the (stopped) server's database changes no row."""
    live = read_model(url)
    done = subprocess.run(
        [sys.executable, "-m", "acs.cli", "projections", "rebuild"],
        env={**os.environ, "ACS_DATABASE_URL": url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert "rebuilt from" in done.stdout, done.stdout + done.stderr
    rebuilt = read_model(url)
    for table in READ_MODEL_TABLES:
        assert live[table] == rebuilt[table], f"{table} differs from a rebuild"


def histories(url: str) -> dict[UUID, list[tuple[int, DeviceEvent]]]:
    """Every aggregate's events with their log positions, in log order."""
    store = EventStore(datastore_for(url, 2))
    found: dict[UUID, list[tuple[int, DeviceEvent]]] = defaultdict(list)
    try:
        after = 0
        while page := store.notifications(after, PAGE):
            for note in page:
                found[note.event.originator_id].append((note.position, note.event))
            after = page[-1].position
    finally:
        store.close()
    return found


def assert_replayable(url: str) -> int:
    """Every stored event decodes; each aggregate's versions run 1..n in log order and fold
    into a state again (devices, campaigns) or start with their creation (presets, bulk).
    Returns how many aggregates there are."""
    found = histories(url)
    for aggregate, history in found.items():
        events = [event for _, event in history]
        versions = [event.originator_version for event in events]
        assert versions == list(range(1, len(events) + 1)), f"{aggregate}: gaps {versions}"
        first = events[0]
        if isinstance(first, PresetSaved | BulkCreated):
            continue
        if isinstance(first, CampaignCreated):
            assert campaign_commands.fold(events) is not None, aggregate
            continue
        device = project(None, events)
        assert device is not None and device.version == len(events), aggregate
    return len(found)
