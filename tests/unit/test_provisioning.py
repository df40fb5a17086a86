"""Presets and the provisioning planner, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from acs.domain.presets import PresetError, matches, parse_preset, render, template_names
from acs.domain.provisioning import DeviceView, PresetRun, plan, waiting
from acs.domain.tasks import AddObjectTask, DownloadTask, GetParams, Refresh, SetParams

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SSID = "IGD.WLAN.1.SSID"
SW = "IGD.DeviceInfo.SoftwareVersion"
IDENTITY = {"serial_number": "SN1", "oui": "00AABB", "product_class": "Box",
            "manufacturer": "Acme", "device_id": "00AABB-Box-SN1"}  # fmt: skip


def device(values: dict[str, str], open_actors: tuple[str, ...] = (),
           runs: dict[str, PresetRun] | None = None) -> DeviceView:  # fmt: skip
    return DeviceView(IDENTITY, values, frozenset(open_actors), runs or {})


def preset(**ensure: object) -> object:
    return parse_preset("p", {"ensure": ensure})


def test_templates_use_the_devices_identity_and_values() -> None:
    assert render("net-{serial_number}", IDENTITY, {}) == "net-SN1"
    assert render("{IGD.X}-{oui}", IDENTITY, {"IGD.X": "1"}) == "1-00AABB"
    assert render("{IGD.Unknown}", IDENTITY, {}) is None
    assert template_names("a {IGD.X} {serial_number}") == ["IGD.X"]


def test_unknown_values_are_read_before_anything_is_written() -> None:
    tasks = plan("p", preset(values={SSID: "x"}), device({}), NOW)
    assert tasks == [GetParams(names=(SSID,))]


def test_only_values_that_differ_are_written() -> None:
    values = {SSID: "net-{serial_number}", "IGD.Interval": "300"}
    tasks = plan("p", preset(values=values), device({SSID: "old", "IGD.Interval": "300"}), NOW)
    assert tasks == [SetParams(values={SSID: "net-SN1"})]
    assert plan("p", preset(values=values), device({SSID: "net-SN1", "IGD.Interval": "300"}),
                NOW) == []  # fmt: skip


def test_a_preset_with_an_open_task_waits_for_it() -> None:
    assert plan("p", preset(values={SSID: "x"}), device({}, ("preset:p",)), NOW) == []


def test_faults_back_off_exponentially() -> None:
    run = PresetRun(failures=3, faulted_at=NOW)
    assert waiting(run, NOW + timedelta(minutes=3))
    assert not waiting(run, NOW + timedelta(minutes=4, seconds=1))
    assert waiting(PresetRun(failures=40, faulted_at=NOW), NOW + timedelta(hours=23))
    assert plan("p", preset(values={SSID: "x"}), device({}, runs={"p": run}), NOW) == []


def test_objects_are_read_then_added_one_at_a_time() -> None:
    wanted = preset(objects={"IGD.WLAN.": 2})
    assert plan("p", wanted, device({}), NOW) == [Refresh(path="IGD.WLAN.")]
    assert plan("p", wanted, device({SSID: "a"}), NOW) == [AddObjectTask(object="IGD.WLAN.")]
    assert plan("p", wanted, device({SSID: "a", "IGD.WLAN.2.SSID": "b"}), NOW) == []


def test_firmware_is_downloaded_only_when_the_version_differs() -> None:
    firmware = {"version": "2.0", "url": "http://fw/2.0.bin"}
    assert plan("p", preset(firmware=firmware), device({SW: "1.0"}), NOW) == [
        DownloadTask(url="http://fw/2.0.bin")
    ]
    assert plan("p", preset(firmware=firmware), device({SW: "2.0"}), NOW) == []


def test_periodic_reads_wait_for_their_interval() -> None:
    every = preset(refresh=[{"names": ["IGD.Stats."], "every_seconds": 3600}])
    assert plan("p", every, device({}), NOW) == [GetParams(names=("IGD.Stats.",))]
    recent = {"p": PresetRun(read_at=NOW - timedelta(minutes=10))}
    assert plan("p", every, device({}, runs=recent), NOW) == []


def test_triggers_and_filters_select_devices() -> None:
    boot = parse_preset("b", {"events": ["0 BOOTSTRAP"], "filter": {"param.IGD.X": "~ab",
                                                                  "manufacturer": "Acme"},
                              "ensure": {"values": {SSID: "x"}}})  # fmt: skip
    facts = {"manufacturer": "Acme"}
    assert matches(boot, ("0 BOOTSTRAP",), facts, {"IGD.X": "abc"}, ())
    assert not matches(boot, ("2 PERIODIC",), facts, {"IGD.X": "abc"}, ())
    assert not matches(boot, ("0 BOOTSTRAP",), facts, {"IGD.X": "xyz"}, ())
    numeric = parse_preset("n", {"filter": {"param.IGD.N": ">5", "tag": "lab"},
                                 "ensure": {"values": {SSID: "x"}}})  # fmt: skip
    assert matches(numeric, (), {}, {"IGD.N": "7"}, ("lab",))
    assert not matches(numeric, (), {}, {"IGD.N": "3"}, ("lab",))
    assert not matches(numeric, (), {}, {"IGD.N": "seven"}, ("lab",))
    assert not matches(numeric, (), {}, {"IGD.N": "7"}, ())


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("bad name!", {"ensure": {"values": {SSID: "x"}}}, "preset name"),
        ("p", {"ensure": {}}, "must ensure something"),
        ("p", {"ensure": {"values": {"IGD.": "x"}}}, "not paths"),
        ("p", {"ensure": {"objects": {"IGD.WLAN": 1}}}, "ending in '.'"),
        ("p", {"ensure": {"refresh": [{"names": ["A"], "every_seconds": 5}]}}, "at least 60"),
        ("p", {"filter": {"colour": "red"}, "ensure": {"values": {SSID: "x"}}}, "unknown filter"),
        ("p", {"ensure": {"values": {SSID: 1}}}, "invalid preset"),
    ],
)
def test_malformed_presets_say_what_is_wrong(name: str, body: dict, message: str) -> None:
    with pytest.raises(PresetError, match=message):
        parse_preset(name, body)
