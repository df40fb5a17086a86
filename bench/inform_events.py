"""Realistic Inform events of simulated Huawei BM632w gateways, built by the domain code.

Every event here is what the ACS itself would store: an `Inform` message goes through
`acs.domain.decide.receive_inform` and `acs.adapters.event_store.to_stored`. Serials follow
the load generator's `SIM{index:07d}` so that simulated CPEs find their populated devices.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from eventsourcing.persistence import StoredEvent

from acs.adapters.event_store import SNAPSHOT_EVERY, to_stored
from acs.domain.decide import receive_inform
from acs.domain.device import Device, project
from acs.domain.device_id import aggregate_id, device_id
from acs.domain.events import DeviceEvent, InformReceived
from acs.domain.messages import DeviceIdStruct, EventStruct, Inform, ParameterValue

MANUFACTURER = "Huawei Technologies Co., Ltd."
OUI = "202BC1"
PRODUCT_CLASS = "BM632w"
SOFTWARE_VERSION = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
UPTIME = "InternetGatewayDevice.DeviceInfo.UpTime"
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_IGD = "InternetGatewayDevice."
_SUMMARY = "InternetGatewayDevice:1.1[](Baseline:1, EthernetLAN:1, WiFiLAN:1, WIMAXWAN:1)"


def serial(index: int) -> str:
    """The serial number of simulated CPE number `index` (the load generator's scheme)."""
    return f"SIM{index:07d}"


def public_id(index: int) -> str:
    """The public device id of simulated CPE number `index`."""
    return device_id(OUI, PRODUCT_CLASS, serial(index))


def inform_parameters(index: int, uptime: int) -> tuple[ParameterValue, ...]:
    """The twelve parameters a BM632w reports in every Inform (forced ones and a few more)."""
    ip = f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
    return (
        ParameterValue(f"{_IGD}DeviceSummary", _SUMMARY),
        ParameterValue(f"{_IGD}DeviceInfo.SpecVersion", "1"),
        ParameterValue(f"{_IGD}DeviceInfo.HardwareVersion", "40501"),
        ParameterValue(SOFTWARE_VERSION, f"V100R001IRQC56B0{17 + index % 3}"),
        ParameterValue(f"{_IGD}DeviceInfo.ProvisioningCode", ""),
        ParameterValue(f"{_IGD}DeviceInfo.ModelName", PRODUCT_CLASS),
        ParameterValue(f"{_IGD}DeviceInfo.SerialNumber", serial(index)),
        ParameterValue(UPTIME, str(uptime), "xsd:unsignedInt"),
        ParameterValue(f"{_IGD}ManagementServer.ParameterKey", ""),
        ParameterValue(f"{_IGD}ManagementServer.ConnectionRequestURL", f"http://{ip}:7547/"),
        ParameterValue(f"{_IGD}ManagementServer.PeriodicInformInterval", "300", "xsd:unsignedInt"),
        ParameterValue(
            f"{_IGD}WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress", ip
        ),
    )


def inform(index: int, codes: tuple[str, ...], uptime: int, at: datetime) -> Inform:
    """The Inform message CPE `index` sends with these event codes."""
    return Inform(
        device_id=DeviceIdStruct(MANUFACTURER, OUI, PRODUCT_CLASS, serial(index)),
        events=tuple(EventStruct(code) for code in codes),
        max_envelopes=1,
        current_time=at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        retry_count=0,
        parameters=inform_parameters(index, uptime),
    )


def inform_event(
    device: Device | None, index: int, codes: tuple[str, ...], uptime: int, at: datetime
) -> InformReceived:
    """The InformReceived event the ACS decides for this Inform (changed parameters only)."""
    public = public_id(index)
    events = receive_inform(
        device,
        inform(index, codes, uptime, at),
        aggregate=aggregate_id(public),
        public_id=public,
        source_ip="127.0.0.1",
        session_id=f"{index:032x}",
        cwmp_version="V1_0",
        at=at,
    )
    first = events[0]
    assert isinstance(first, InformReceived)
    return first


def bootstrap_event(index: int, at: datetime = EPOCH) -> InformReceived:
    """A new device's first event: `0 BOOTSTRAP, 1 BOOT` with every Inform parameter."""
    return inform_event(None, index, ("0 BOOTSTRAP", "1 BOOT"), 100, at)


def history(index: int, count: int, interval: float = 300.0) -> Iterator[DeviceEvent | Device]:
    """A device's first `count` events: a bootstrap, then periodic Informs with a changing
    uptime; every `SNAPSHOT_EVERY`th event is followed by the snapshot the ACS would save."""
    device: Device | None = None
    for n in range(count):
        at = EPOCH + timedelta(seconds=n * interval)
        codes = ("0 BOOTSTRAP", "1 BOOT") if n == 0 else ("2 PERIODIC",)
        event = inform_event(device, index, codes, 100 + int(n * interval), at)
        device = project(device, [event])
        yield event
        if device is not None and device.version % SNAPSHOT_EVERY == 0:
            yield device


def unchanged_periodic(device: Device, index: int, at: datetime) -> InformReceived:
    """A periodic Inform that changes nothing: the smallest event an Inform stores."""
    known = device.parameters.get(UPTIME)
    uptime = int(known.value) if known is not None else 100
    return inform_event(device, index, ("2 PERIODIC",), uptime, at)


def snapshot_row(device: Device) -> StoredEvent:
    """The snapshot row the event store writes for a device state."""
    from acs.adapters.event_store import EventStore  # noqa: PLC0415 - one private helper

    return EventStore._snapshot_of(device)


def stored(event: DeviceEvent) -> StoredEvent:
    """The stored form of an event, exactly as the ACS writes it."""
    return to_stored(event)
