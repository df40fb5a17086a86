"""The data model every virtual CPE starts from: a genieacs-sim CSV, loaded once and shared."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Final, NamedTuple

DEFAULT_CSV: Final = "huawei-bm632w_tr098.csv"
VENDOR_COUNTER: Final = "X_ACS_Sim.Counter"
# Inform parameters under the root object, sent when the data model has them.
_INFORM: Final = (
    "DeviceSummary",
    "DeviceInfo.SpecVersion",
    "DeviceInfo.HardwareVersion",
    "DeviceInfo.SoftwareVersion",
    "DeviceInfo.ProvisioningCode",
    "DeviceInfo.UpTime",
    "ManagementServer.ParameterKey",
    "ManagementServer.ConnectionRequestURL",
    "ManagementServer.PeriodicInformInterval",
)
_EXTERNAL_IP: Final = re.compile(
    r"\.WANIPConnection\.\d+\.ExternalIPAddress$|^Device\.IP\.Interface\.\d+\.IPv4Address\.\d+\.IPAddress$"
)
# Traffic counters that grow at every Inform: the first match of each pattern.
_COUNTERS: Final = (
    re.compile(r"\.WLANConfiguration\.\d+\.TotalBytesSent$"),
    re.compile(r"\.WLANConfiguration\.\d+\.TotalBytesReceived$"),
    re.compile(r"\.Stats\.(Total)?BytesSent$"),
)
_SSID: Final = re.compile(r"\.SSID$")


class Parameter(NamedTuple):
    """A parameter's factory value, xsd type and writability."""

    value: str
    type: str
    writable: bool


@dataclass(frozen=True)
class DataModel:
    """A parsed data model: identity, parameters, objects and the names the simulator uses."""

    manufacturer: str
    oui: str
    product_class: str
    root: str
    parameters: Mapping[str, Parameter]
    objects: Mapping[str, bool]
    tree: tuple[str, ...]
    below: Mapping[str, tuple[str, ...]]
    inform_names: tuple[str, ...]
    counters: tuple[str, ...]
    uptime: str | None
    serial_parameter: str | None
    parameter_key: str | None
    periodic_interval: str | None
    readable: str
    settable: str


def load(path: Path | None = None) -> DataModel:
    """Read a data model CSV; the Huawei model shipped with the package when `path` is None."""
    if path is None:
        text = resources.files("acs.loadgen").joinpath(DEFAULT_CSV).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse(text)


def parse(text: str) -> DataModel:
    """Parse genieacs-sim CSV text (Parameter, Object, Writable, Value, Value type)."""
    device: dict[str, str] = {}
    parameters: dict[str, Parameter] = {}
    objects: dict[str, bool] = {}
    tree: list[str] = []
    for row in csv.DictReader(io.StringIO(text)):
        name, writable = row["Parameter"].strip(), row["Writable"].strip() == "true"
        if name.startswith("DeviceID."):
            device[name.removeprefix("DeviceID.")] = row["Value"]
        elif row["Object"].strip() == "true":
            path = name if name.endswith(".") else f"{name}."
            objects[path] = writable
            tree.append(path)
        elif name:
            kind = (row.get("Value type") or "").strip() or "xsd:string"
            parameters[name] = Parameter(row["Value"], kind, writable)
            tree.append(name)
    if not parameters:
        raise ValueError("the data model has no parameters")
    root = next(iter(parameters)).split(".")[0]
    counters = _counters(parameters)
    if not counters:
        counters = (f"{root}.{VENDOR_COUNTER}",)
        _add(parameters, objects, tree, counters[0], Parameter("0", "xsd:unsignedInt", False))
    return _model(
        device,
        root=root,
        parameters=parameters,
        objects=objects,
        tree=tuple(tree),
        counters=counters,
    )


def _model(
    device: dict[str, str],
    *,
    root: str,
    parameters: dict[str, Parameter],
    objects: dict[str, bool],
    tree: tuple[str, ...],
    counters: tuple[str, ...],
) -> DataModel:
    """Assemble the immutable model and the names the simulator reads and writes."""

    def known(suffix: str) -> str | None:
        name = f"{root}.{suffix}"
        return name if name in parameters else None

    inform = [name for name in (known(suffix) for suffix in _INFORM) if name]
    inform += [name for name in parameters if _EXTERNAL_IP.search(name)][:1]
    inform += [name for name in counters if name not in inform]
    return DataModel(
        manufacturer=device.get("Manufacturer", "acs-simulator"),
        oui=device.get("OUI", "000000"),
        product_class=device.get("ProductClass", "Simulated"),
        root=root,
        parameters=MappingProxyType(parameters),
        objects=MappingProxyType(objects),
        tree=tree,
        below=MappingProxyType(_below(parameters)),
        inform_names=tuple(inform),
        counters=counters,
        uptime=known("DeviceInfo.UpTime"),
        serial_parameter=known("DeviceInfo.SerialNumber"),
        parameter_key=known("ManagementServer.ParameterKey"),
        periodic_interval=known("ManagementServer.PeriodicInformInterval"),
        readable=known("DeviceInfo.SoftwareVersion") or next(iter(parameters)),
        settable=_settable(parameters),
    )


def _counters(parameters: Mapping[str, Parameter]) -> tuple[str, ...]:
    """The first parameter matching each traffic counter pattern."""
    found = (next((n for n in parameters if pattern.search(n)), None) for pattern in _COUNTERS)
    return tuple(name for name in found if name)


def _settable(parameters: Mapping[str, Parameter]) -> str:
    """A writable string parameter for set_params tasks: the first SSID if there is one."""
    strings = [n for n, p in parameters.items() if p.writable and p.type == "xsd:string"]
    if not strings:
        raise ValueError("the data model has no writable string parameter")
    return next((name for name in strings if _SSID.search(name)), strings[0])


def _add(
    parameters: dict[str, Parameter],
    objects: dict[str, bool],
    tree: list[str],
    name: str,
    parameter: Parameter,
) -> None:
    """Add a parameter and the objects above it that the model lacks."""
    parts = name.split(".")
    for depth in range(1, len(parts)):
        parent = ".".join(parts[:depth]) + "."
        if parent not in objects:
            objects[parent] = False
            tree.append(parent)
    parameters[name] = parameter
    tree.append(name)


def _below(parameters: Mapping[str, Parameter]) -> dict[str, tuple[str, ...]]:
    """The parameters under each partial path ("" for all), in model order."""
    below: dict[str, list[str]] = {"": []}
    for name in parameters:
        below[""].append(name)
        parts = name.split(".")
        for depth in range(1, len(parts)):
            below.setdefault(".".join(parts[:depth]) + ".", []).append(name)
    return {path: tuple(names) for path, names in below.items()}
