"""Tags on the device aggregate: decisions and their events, without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from acs.adapters.event_store import from_stored, to_stored
from acs.domain.decide import tag_device, untag_device
from acs.domain.device import Device, DeviceNotFoundError, project
from acs.domain.device_id import aggregate_id
from acs.domain.events import DeviceEvent, DeviceTagged, DeviceUntagged
from acs.domain.tags import InvalidTagError, checked_tag

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DEVICE = Device(
    id=aggregate_id("00AABB-Box-S1"), version=3, device_id="00AABB-Box-S1", parameters={}
)


def tagged(device: Device, *tags: str) -> Device:
    for tag in tags:
        device = after(device, tag_device(device, tag=tag, actor="alice", at=T0))
    return device


def after(device: Device, events: list[DeviceEvent]) -> Device:
    state = project(device, events)
    assert state is not None
    return state


def test_tagging_records_the_tag_the_actor_and_when() -> None:
    (event,) = tag_device(DEVICE, tag="lab", actor="alice", at=T0)
    assert event == DeviceTagged(
        originator_id=DEVICE.id, originator_version=4, timestamp=T0, tag="lab", actor="alice"
    )
    assert after(DEVICE, [event]).tags == ("lab",)


def test_the_device_keeps_its_tags_sorted_and_once_each() -> None:
    assert tagged(DEVICE, "zeta", "Alpha", "beta:1").tags == ("Alpha", "beta:1", "zeta")


def test_tagging_twice_records_nothing() -> None:
    device = tagged(DEVICE, "lab")
    assert tag_device(device, tag="lab", actor="bob", at=T0) == []


def test_untagging_records_the_actor_and_removes_the_tag() -> None:
    device = tagged(DEVICE, "lab", "vip")
    (event,) = untag_device(device, tag="lab", actor="bob", at=T0)
    assert isinstance(event, DeviceUntagged)
    assert (event.tag, event.actor, event.originator_version) == ("lab", "bob", 6)
    assert after(device, [event]).tags == ("vip",)


def test_removing_a_missing_tag_records_nothing() -> None:
    assert untag_device(tagged(DEVICE, "vip"), tag="lab", actor="bob", at=T0) == []


def test_an_unknown_device_cannot_be_tagged_or_untagged() -> None:
    with pytest.raises(DeviceNotFoundError):
        tag_device(None, tag="lab", actor="alice", at=T0)
    with pytest.raises(DeviceNotFoundError):
        untag_device(None, tag="lab", actor="alice", at=T0)


@pytest.mark.parametrize("tag", ["", "x" * 65, "with space", "slash/", "é", "lab\n", "a,b"])
def test_a_malformed_tag_name_is_refused(tag: str) -> None:
    with pytest.raises(InvalidTagError):
        tag_device(DEVICE, tag=tag, actor="alice", at=T0)
    with pytest.raises(InvalidTagError):
        untag_device(DEVICE, tag=tag, actor="alice", at=T0)


@pytest.mark.parametrize("tag", ["a", "x" * 64, "region:north", "fw-1.2_beta", "A.B:C-D_E"])
def test_tag_names_of_letters_digits_and_punctuation_are_valid(tag: str) -> None:
    assert checked_tag(tag) == tag


def test_tag_events_are_stored_under_their_topics_and_read_back() -> None:
    (event,) = tag_device(DEVICE, tag="lab", actor="alice", at=T0)
    stored = to_stored(event)
    assert stored.topic == "DeviceTagged.v1"
    assert msgspec.json.decode(stored.state) == {
        "timestamp": "2026-01-01T00:00:00Z",
        "tag": "lab",
        "actor": "alice",
    }
    assert from_stored(stored.topic, stored.state, DEVICE.id, 4) == event
    (untag,) = untag_device(tagged(DEVICE, "lab"), tag="lab", actor="bob", at=T0)
    assert to_stored(untag).topic == "DeviceUntagged.v1"


def test_a_snapshot_from_before_tags_reads_as_untagged() -> None:
    old = msgspec.json.encode(DEVICE)
    legacy = msgspec.json.decode(old)
    del legacy["tags"]
    assert msgspec.json.decode(msgspec.json.encode(legacy), type=Device).tags == ()
