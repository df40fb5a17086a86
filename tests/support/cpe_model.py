"""The simulated CPE's data model: the CSV it is built from and the live parameter tree.

``ParameterTree`` holds the values, writability, objects and attributes one device has now,
and implements the tree operations of TR-069 A.3.2: selecting names, listing them, storing
attributes and adding or deleting object instances.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tests.support.cpe_soap import CpeFault

DEFAULT_DATA_MODEL: Final = Path(__file__).resolve().parents[1] / "fixtures/huawei-bm632w_tr098.csv"
PARAMETER_KEY: Final = "InternetGatewayDevice.ManagementServer.ParameterKey"
PERIODIC_INFORM_INTERVAL: Final = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
# DeviceInfo parameters that must agree with the constructor's DeviceId.
IDENTITY: Final = {
    "OUI": "InternetGatewayDevice.DeviceInfo.ManufacturerOUI",
    "ProductClass": "InternetGatewayDevice.DeviceInfo.ProductClass",
    "SerialNumber": "InternetGatewayDevice.DeviceInfo.SerialNumber",
}
_INT_RANGES: Final = {"xsd:int": (-(2**31), 2**31 - 1), "xsd:unsignedInt": (0, 2**32 - 1)}
_DEFAULTS: Final = {
    "xsd:boolean": "false",
    "xsd:int": "0",
    "xsd:unsignedInt": "0",
    "xsd:long": "0",
    "xsd:unsignedLong": "0",
    "xsd:dateTime": "0001-01-01T00:00:00Z",
}
_INSTANCE: Final = re.compile(r"(?P<table>.+\.)(?P<number>\d+)\.")


@dataclass(frozen=True)
class DataModel:
    """A parsed data model CSV: the DeviceId, the parameters and the object paths."""

    device: dict[str, str]
    parameters: dict[str, tuple[str, str, bool]]
    objects: dict[str, bool]
    tree: tuple[str, ...]


@dataclass(frozen=True)
class ParameterAttributes:
    """A parameter's attributes (TR-069 A.3.2.4): its Notification and its AccessList."""

    notification: int = 0
    access_list: tuple[str, ...] = ()


@functools.cache
def load(path: Path) -> DataModel:
    """Read a genieacs-sim data model CSV (Parameter, Object, Writable, Value, Value type)."""
    device: dict[str, str] = {}
    parameters: dict[str, tuple[str, str, bool]] = {}
    objects: dict[str, bool] = {}
    tree: list[str] = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            name, writable = row["Parameter"], row["Writable"] == "true"
            if name.startswith("DeviceID."):
                device[name.removeprefix("DeviceID.")] = row["Value"]
            elif row["Object"] == "true":
                objects[f"{name}."] = writable
                tree.append(f"{name}.")
            else:
                parameters[name] = (row["Value"], row["Value type"] or "xsd:string", writable)
                tree.append(name)
    return DataModel(device, parameters, objects, tuple(tree))


def factory_image(
    model: DataModel, identity: dict[str, str], overrides: dict[str, str]
) -> DataModel:
    """The data model with this device's identity and overrides, and PeriodicInformInterval."""
    parameters = dict(model.parameters)
    objects, tree = dict(model.objects), list(model.tree)
    extra = {name: identity[key] for key, name in IDENTITY.items() if name in parameters}
    for name, value in {**extra, **overrides}.items():
        kind, writable = parameters[name][1:] if name in parameters else ("xsd:string", True)
        parameters[name] = (value, kind, writable)
    if PERIODIC_INFORM_INTERVAL not in parameters:
        parameters[PERIODIC_INFORM_INTERVAL] = ("300", "xsd:unsignedInt", True)
    known = set(tree)
    for name in [name for name in parameters if name not in known]:  # and their parent objects
        parts = name.split(".")
        parents = [".".join(parts[:depth]) + "." for depth in range(1, len(parts))]
        for parent in (parent for parent in parents if parent not in objects):
            objects[parent] = False
            tree.append(parent)
        tree.append(name)
    return DataModel(model.device, parameters, objects, tuple(tree))


def genieacs_device_id(oui: str, product_class: str, serial: str) -> str:
    """The GenieACS device id: OUI-ProductClass-SerialNumber, or OUI-SerialNumber, escaped."""
    parts = (oui, product_class, serial) if product_class else (oui, serial)
    return "-".join(_escape(part) for part in parts)


def _escape(part: str) -> str:
    """Percent-encode (UTF-8, upper-case hex) every character outside [A-Za-z0-9_]."""
    return "".join(
        char
        if char.isascii() and (char.isalnum() or char == "_")
        else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in part
    )


def valid(value: str, kind: str) -> bool:
    """Whether a value is valid for a parameter of this xsd type."""
    if kind == "xsd:boolean":
        return value in ("0", "1", "true", "false")
    if kind in _INT_RANGES:
        low, high = _INT_RANGES[kind]
        return bool(re.fullmatch(r"-?\d+", value.strip())) and low <= int(value) <= high
    return True


@dataclass
class ParameterTree:
    """One device's live data model: values with types, writability, objects, attributes."""

    image: DataModel
    values: dict[str, tuple[str, str]] = field(default_factory=dict)
    writable: dict[str, bool] = field(default_factory=dict)
    objects: dict[str, bool] = field(default_factory=dict)
    tree: list[str] = field(default_factory=list)
    attributes: dict[str, ParameterAttributes] = field(default_factory=dict)
    last_instance: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_image(cls, image: DataModel) -> ParameterTree:
        """The factory state of a device with this image."""
        return cls(
            image=image,
            values={name: (value, kind) for name, (value, kind, _) in image.parameters.items()},
            writable={name: writable for name, (_, _, writable) in image.parameters.items()},
            objects=dict(image.objects),
            tree=list(image.tree),
        )

    def select(self, name: str) -> list[str]:
        """The parameters a full name or partial path (ending in '.') stands for, or 9005."""
        if name and not name.endswith("."):
            if name not in self.values:
                raise CpeFault(9005)
            return [name]
        if name and name not in self.objects:
            raise CpeFault(9005)
        return [parameter for parameter in self.values if parameter.startswith(name)]

    def names_under(self, path: str, *, next_level: bool) -> list[str]:
        """The objects and parameters a GetParameterNames path lists (TR-069 A.3.2.3)."""
        if path and not path.endswith("."):
            if path not in self.values:
                raise CpeFault(9005)
            if next_level:
                raise CpeFault(9003)
            return [path]
        if path and path not in self.objects:
            raise CpeFault(9005)
        names = [name for name in self.tree if name.startswith(path)]
        if not next_level:
            return names
        return [n for n in names if n != path and "." not in n[len(path) :].removesuffix(".")]

    def is_writable(self, name: str) -> bool:
        """Whether an object or parameter is writable."""
        return self.objects[name] if name.endswith(".") else self.writable[name]

    def attributes_of(self, name: str) -> ParameterAttributes:
        """A parameter's attributes; the defaults when none were set."""
        return self.attributes.get(name, ParameterAttributes())

    def set_attributes(self, changes: list[tuple[str, int | None, tuple[str, ...] | None]]) -> None:
        """Apply (name or partial path, new Notification, new AccessList) all or nothing."""
        resolved = [
            (self.select(name), notification, access) for name, notification, access in changes
        ]
        if any(n is not None and not 0 <= n <= 6 for _, n, _ in resolved):
            raise CpeFault(9003)
        for names, notification, access in resolved:
            for name in names:
                old = self.attributes_of(name)
                self.attributes[name] = ParameterAttributes(
                    old.notification if notification is None else notification,
                    old.access_list if access is None else access,
                )

    def add_instance(self, table: str) -> int:
        """AddObject: a new instance of a multi-instance object, copying a template instance."""
        if not table.endswith(".") or table not in self.objects:
            raise CpeFault(9005)
        current = self._instances(table, self.objects)
        factory = self._instances(table, self.image.objects)
        if not current and not factory and self._counter(table) is None:
            raise CpeFault(9005)  # not a multi-instance object
        number = max([*current, self.last_instance.get(table, 0)]) + 1
        self.last_instance[table] = number
        prefix = f"{table}{number}."
        if current:  # copy the lowest-numbered instance the device has now
            template, tree, objects = f"{table}{min(current)}.", self.tree, self.objects
            kinds = {name: (kind, self.writable[name]) for name, (_, kind) in self.values.items()}
        else:  # or the factory image's, or make an empty instance
            template = f"{table}{min(factory)}." if factory else prefix
            tree, objects = list(self.image.tree), self.image.objects
            kinds = {name: (kind, w) for name, (_, kind, w) in self.image.parameters.items()}
        names = [name for name in tree if name.startswith(template)] or [prefix]
        copies = [prefix + name[len(template) :] for name in names]
        for name, copy in zip(names, copies, strict=True):
            if name.endswith("."):
                self.objects[copy] = objects.get(name, True)
            else:
                kind, writable = kinds[name]
                self.values[copy] = (_DEFAULTS.get(kind, ""), kind)
                self.writable[copy] = writable
        position = max(i for i, name in enumerate(self.tree) if name.startswith(table)) + 1
        self.tree[position:position] = copies
        self._count(table)
        return number

    def delete_instance(self, instance: str) -> None:
        """DeleteObject: remove an instance of a multi-instance object and all under it."""
        match = _INSTANCE.fullmatch(instance)
        if match is None or instance not in self.objects:
            raise CpeFault(9005)
        table, number = match["table"], int(match["number"])
        self.last_instance[table] = max(self.last_instance.get(table, 0), number)
        self.tree = [name for name in self.tree if not name.startswith(instance)]
        for names in (self.values, self.writable, self.objects, self.attributes):
            for name in [name for name in names if name.startswith(instance)]:
                del names[name]
        self._count(table)

    def _instances(self, table: str, objects: dict[str, bool]) -> list[int]:
        """The instance numbers of a table among these object paths."""
        numbers = (_INSTANCE.fullmatch(name) for name in objects if name.startswith(table))
        return [int(m["number"]) for m in numbers if m is not None and m["table"] == table]

    def _counter(self, table: str) -> str | None:
        """The table's NumberOfEntries parameter, when the data model has one beside it."""
        name = table.removesuffix(".") + "NumberOfEntries"
        return name if name in self.values else None

    def _count(self, table: str) -> None:
        """Keep the table's NumberOfEntries parameter in step with its instances."""
        counter = self._counter(table)
        if counter is not None:
            self.values[counter] = (
                str(len(self._instances(table, self.objects))),
                self.values[counter][1],
            )
