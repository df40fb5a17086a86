"""Provisioners: a read-only device in, desired state out, failures fault their preset only."""

from __future__ import annotations

import re
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import msgspec
import pytest

from acs.adapters.provisioners import Provisioners
from acs.application.provisioning import Provisioner
from acs.domain.device import Device, KnownParameter, project
from acs.domain.events import PresetFaulted, TaskQueued
from acs.domain.extensions import DeviceSnapshot, ProvisionerError, snapshot, with_desired
from acs.domain.presets import Ensure, PresetError, parse_preset
from acs.domain.tasks import GetParams, SetParams
from acs.domain.timeline import describe

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
INTERVAL = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bootstrap_ssid"
SNAPSHOT = snapshot({"device_id": "00AABB-Box-SN1", "serial_number": "SN1"}, {SSID: "old"}, ())


def provisioners(timeout: float = 1.0, **functions: object) -> Provisioners:
    return Provisioners(timeout, find=lambda: functions)  # type: ignore[arg-type,return-value]


def test_a_provisioner_sees_a_read_only_device() -> None:
    device = snapshot({"serial_number": "SN1", "oui": "00AABB"}, {SSID: "x"}, ("lab",))
    with pytest.raises(TypeError):
        device.parameters[SSID] = "y"  # type: ignore[index]
    with pytest.raises(AttributeError):
        device.serial_number = "other"  # type: ignore[misc]
    assert (device.oui, device.tags, dict(device.parameters)) == ("00AABB", ("lab",), {SSID: "x"})


def test_its_answer_becomes_desired_state() -> None:
    calls = provisioners(
        typed=lambda device, codes: Ensure(values={SSID: device.serial_number}),
        mapping=lambda device, codes: {"values": {SSID: "-".join(codes)}},
        nothing=lambda device, codes: None,
    )
    assert calls.desired("typed", SNAPSHOT, ()).values == {SSID: "SN1"}
    assert calls.desired("mapping", SNAPSHOT, ("0 BOOTSTRAP",)).values == {SSID: "0 BOOTSTRAP"}
    assert calls.desired("nothing", SNAPSHOT, ()) == Ensure()


def fail(device: DeviceSnapshot, codes: tuple[str, ...]) -> Ensure:
    raise KeyError("no such thing")


def test_failures_are_provisioner_errors_that_say_why() -> None:
    calls = provisioners(
        timeout=0.2,
        failing=fail,
        slow=lambda device, codes: time.sleep(2),
        wrong=lambda device, codes: {"values": {"A.Path.": "x"}},
        garbage=lambda device, codes: 42,
        nul=lambda device, codes: {"values": {"A.B": "x\x00y"}},
    )
    cases = {
        "failing": "provisioner failing failed: KeyError",
        "slow": "provisioner slow took longer than 0.2 s",
        "wrong": "invalid desired state: values are set on parameter names",
        "garbage": "invalid desired state",
        "nul": "invalid desired state: text may not contain the character U\\+0000",
        "absent": "no provisioner absent is installed "
        "(installed: failing, garbage, nul, slow, wrong)",
    }
    for name, reason in cases.items():
        started = time.monotonic()
        with pytest.raises(ProvisionerError, match=reason.replace("(", r"\(").replace(")", r"\)")):
            calls.desired(name, SNAPSHOT, ())
        assert time.monotonic() - started < 1.0, "a slow provisioner is not waited for"


def test_provisioners_that_never_return_use_up_their_threads_only() -> None:
    release = threading.Event()
    calls = Provisioners(0.05, find=lambda: {"stuck": lambda d, c: release.wait(),
                                             "quick": lambda d, c: None}, threads=2)  # fmt: skip
    for _ in range(2):
        with pytest.raises(ProvisionerError, match="took longer"):
            calls.desired("stuck", SNAPSHOT, ())
    with pytest.raises(ProvisionerError, match="too many calls still running"):
        calls.desired("quick", SNAPSHOT, ())
    release.set()
    time.sleep(0.05)
    assert calls.desired("quick", SNAPSHOT, ()) == Ensure()


def test_desired_state_is_added_to_the_presets_own() -> None:
    preset = parse_preset("p", {"provisioner": "x", "ensure": {"values": {SSID: "a", "B": "1"}}})
    merged = with_desired(preset, Ensure(values={SSID: "b"}, objects={"C.": 1}))
    assert merged.ensure.values == {SSID: "b", "B": "1"} and merged.ensure.objects == {"C.": 1}
    assert parse_preset("q", {"provisioner": "example.bootstrap_ssid"}).ensure == Ensure()
    with pytest.raises(PresetError, match="or name a provisioner"):
        parse_preset("q", {})
    with pytest.raises(PresetError, match="a provisioner name"):
        parse_preset("q", {"provisioner": "no spaces"})


class Catalog:
    def __init__(self, **presets: dict[str, object]) -> None:
        self.presets = [(name, parse_preset(name, body)) for name, body in presets.items()]

    def active(self) -> list[tuple[str, object]]:
        return self.presets


def device(values: dict[str, str]) -> Device:
    return Device(id=uuid4(), version=3, device_id="00AABB-Box-SN1", serial_number="SN1",
                  parameters={n: KnownParameter(v, "xsd:string") for n, v in values.items()},
                  last_inform=NOW)  # fmt: skip


def test_a_failing_provisioner_faults_its_preset_and_the_others_go_on() -> None:
    catalog = Catalog(
        broken={"provisioner": "broken"},
        fine={"provisioner": "fine"},
        plain={"ensure": {"values": {INTERVAL: "600"}}},
    )
    extensions = provisioners(broken=fail, fine=lambda d, c: {"values": {SSID: "net-SN1"}})
    planner = Provisioner(catalog, extensions)  # type: ignore[arg-type]
    cpe = device({SSID: "old", INTERVAL: "300"})
    events = planner.queue(cpe, ("0 BOOTSTRAP",), NOW)
    faulted = [e for e in events if isinstance(e, PresetFaulted)]
    assert [(e.name, e.originator_version) for e in faulted] == [("broken", 4)]
    assert "KeyError" in faulted[0].reason
    assert describe(faulted[0]).startswith("preset broken faulted: provisioner broken failed")
    tasks = {e.actor: e.task for e in events if isinstance(e, TaskQueued)}
    assert tasks == {"preset:fine": SetParams(values={SSID: "net-SN1"}),
                     "preset:plain": SetParams(values={INTERVAL: "600"})}  # fmt: skip
    state = project(cpe, events)
    assert state is not None and state.presets["broken"].failures == 1
    later = msgspec.structs.replace(state, tasks=())
    again = planner.queue(later, ("2 PERIODIC",), NOW + timedelta(seconds=30))
    assert not [e for e in again if isinstance(e, PresetFaulted)], "it backs off"


def test_without_provisioners_a_preset_naming_one_faults() -> None:
    planner = Provisioner(Catalog(p={"provisioner": "x"}))  # type: ignore[arg-type]
    events = planner.queue(device({}), ("1 BOOT",), NOW)
    assert [type(e) for e in events] == [PresetFaulted]


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.syspath_prepend(str(EXAMPLE))
    sys.modules.pop("acs_bootstrap_ssid", None)
    import acs_bootstrap_ssid

    return acs_bootstrap_ssid


def test_the_example_sets_the_interval_and_an_ssid_from_the_serial(example: object) -> None:
    provision = example.bootstrap_ssid  # type: ignore[attr-defined]
    tr098 = provision(SNAPSHOT, ("0 BOOTSTRAP", "1 BOOT"))
    assert tr098.values == {INTERVAL: "3600", SSID: example.ssid_for("SN1")}  # type: ignore[attr-defined]
    assert re.fullmatch(r"Home-[0-9A-F]{4}", tr098.values[SSID])
    tr181 = snapshot({"serial_number": "SN1"}, {"Device.DeviceInfo.SerialNumber": "SN1"}, ())
    assert set(provision(tr181, ("0 BOOTSTRAP",)).values) == {
        "Device.ManagementServer.PeriodicInformInterval", "Device.WiFi.SSID.1.SSID"}  # fmt: skip
    assert provision(SNAPSHOT, ("2 PERIODIC",)) is None
    planned = Provisioner(
        Catalog(p={"provisioner": "example.bootstrap_ssid"}),
        provisioners(**{"example.bootstrap_ssid": provision}),
    )  # type: ignore[arg-type]
    queued = planned.queue(device({}), ("0 BOOTSTRAP",), NOW)
    assert [e.task for e in queued if isinstance(e, TaskQueued)] == [
        GetParams(names=tuple(sorted((INTERVAL, SSID))))]  # fmt: skip
