"""One virtual CPE: its Inform, its answers to the ACS's RPCs, and its reboots (pure, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from acs.domain.messages import (
    CpeResponse,
    DeviceIdStruct,
    EventStruct,
    FactoryReset,
    FactoryResetResponse,
    Fault,
    GetParameterNames,
    GetParameterNamesResponse,
    GetParameterValues,
    GetParameterValuesResponse,
    Inform,
    Message,
    ParameterInfo,
    ParameterValue,
    Reboot,
    RebootResponse,
    SetParameterValues,
    SetParameterValuesFault,
    SetParameterValuesResponse,
)
from acs.loadgen.datamodel import DataModel

BOOTSTRAP: Final = (EventStruct("0 BOOTSTRAP"), EventStruct("1 BOOT"))
PERIODIC: Final = (EventStruct("2 PERIODIC"),)
_INTEGER: Final = re.compile(r"-?\d+")
_RANGES: Final = {
    "xsd:int": (-(2**31), 2**31 - 1),
    "xsd:unsignedInt": (0, 2**32 - 1),
    "xsd:long": (-(2**63), 2**63 - 1),
    "xsd:unsignedLong": (0, 2**64 - 1),
}


@dataclass(frozen=True)
class Profile:
    """What every CPE of a run shares: the data model and the run's PeriodicInformInterval."""

    model: DataModel
    periodic_interval: int


class CpeFaultError(Exception):
    """A CWMP fault the CPE answers instead of a response (TR-069 A.5.2)."""

    def __init__(self, code: int, string: str) -> None:
        super().__init__(f"{code} {string}")
        self.code = code
        self.string = string


class VirtualCpe:
    """A CPE's own state: serial, uptime, counters, pending events and its changed values."""

    __slots__ = ("booted_at", "events", "index", "informs", "overlay", "pending", "profile")

    def __init__(
        self, profile: Profile, index: int, now: float, *, registered: bool = False
    ) -> None:
        """A CPE that has never contacted the ACS (or, `registered`, one the ACS knows, whose
        next Inform is periodic); its uptime continues the model's UpTime."""
        self.profile = profile
        self.index = index
        uptime = profile.model.parameters.get(profile.model.uptime or "")
        base = int(uptime.value) if uptime and uptime.value.isdigit() else 0
        self.booted_at = now - base
        self.informs = 0
        self.events: tuple[EventStruct, ...] = () if registered else BOOTSTRAP
        self.pending: Reboot | FactoryReset | None = None
        self.overlay: dict[str, str] | None = None

    @property
    def serial_number(self) -> str:
        """The serial number, derived from the index."""
        return f"SIM{self.index:07d}"

    def inform(self, now: float) -> Inform:
        """The Inform opening the next session (TR-069 A.3.3.1); its counters move on."""
        self.informs += 1
        model = self.profile.model
        return Inform(
            device_id=DeviceIdStruct(
                model.manufacturer, model.oui, model.product_class, self.serial_number
            ),
            events=self.events or PERIODIC,
            max_envelopes=1,
            current_time=datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            retry_count=0,
            parameters=tuple(self.parameter(name, now) for name in model.inform_names),
        )

    def end_session(self, now: float, *, completed: bool) -> None:
        """After a session: events delivered, and a Reboot or FactoryReset takes effect."""
        if completed:
            self.events = ()
        if isinstance(self.pending, Reboot):
            self.events = (EventStruct("1 BOOT"), EventStruct("M Reboot", self.pending.command_key))
        elif isinstance(self.pending, FactoryReset):
            self.events, self.overlay = BOOTSTRAP, None
        if self.pending is not None:
            self.booted_at, self.informs, self.pending = now, 0, None

    def answer(self, request: Message, now: float) -> CpeResponse | Fault:
        """The response to an ACS request, or a CWMP Fault (9000 for unsupported methods)."""
        try:
            return self._answer(request, now)
        except CpeFaultError as fault:
            return Fault(code=fault.code, string=fault.string, faultcode="Client")

    def _answer(self, request: Message, now: float) -> CpeResponse | Fault:
        """Dispatch on the RPC."""
        match request:
            case GetParameterValues(names=names):
                selected = [name for path in names for name in self.select(path)]
                return GetParameterValuesResponse(tuple(self.parameter(n, now) for n in selected))
            case SetParameterValues():
                return self.set_values(request)
            case GetParameterNames(path=path, next_level=next_level):
                return GetParameterNamesResponse(self.names(path, next_level=next_level))
            case Reboot() | FactoryReset():
                self.pending = request
                return RebootResponse() if isinstance(request, Reboot) else FactoryResetResponse()
        return Fault(code=9000, string="Method not supported", faultcode="Server")

    def parameter(self, name: str, now: float) -> ParameterValue:
        """A parameter's current value and type."""
        model = self.profile.model
        default = model.parameters[name]
        if self.overlay is not None and name in self.overlay:
            value = self.overlay[name]
        elif name == model.uptime:
            value = str(max(0, int(now - self.booted_at)))
        elif name in model.counters:
            step = 1000 + 37 * (self.index % 101) + 1000 * model.counters.index(name)
            base = int(default.value) if default.value.isdigit() else 0
            value = str((base + step * self.informs) % 2**32)
        elif name == model.serial_parameter:
            value = self.serial_number
        elif name == model.periodic_interval:
            value = str(self.profile.periodic_interval)
        else:
            value = default.value
        return ParameterValue(name, value, default.type)

    def select(self, path: str) -> tuple[str, ...]:
        """The parameters a full name or a partial path (ending in '.') names, or fault 9005."""
        model = self.profile.model
        if path in model.parameters:
            return (path,)
        if path == "" or path in model.objects:
            return model.below.get(path, ())
        raise CpeFaultError(9005, "Invalid parameter name")

    def names(self, path: str, *, next_level: bool) -> tuple[ParameterInfo, ...]:
        """The objects and parameters GetParameterNames lists (TR-069 A.3.2.3)."""
        model = self.profile.model
        if path in model.parameters:
            if next_level:
                raise CpeFaultError(9003, "Invalid arguments")
            return (ParameterInfo(path, model.parameters[path].writable),)
        if path and path not in model.objects:
            raise CpeFaultError(9005, "Invalid parameter name")
        names = [name for name in model.tree if name.startswith(path) and name != path]
        if next_level:
            names = [name for name in names if "." not in name[len(path) :].removesuffix(".")]
        return tuple(ParameterInfo(name, self._writable(name)) for name in names)

    def _writable(self, name: str) -> bool:
        """Whether an object or a parameter is writable."""
        model = self.profile.model
        return model.objects[name] if name.endswith(".") else model.parameters[name].writable

    def set_values(self, request: SetParameterValues) -> SetParameterValuesResponse | Fault:
        """Apply SetParameterValues all or nothing: status 0, or fault 9003 with the details."""
        model = self.profile.model
        faults = tuple(
            SetParameterValuesFault(p.name, code, string)
            for p in request.parameters
            for code, string in _set_fault(model, p)
        )
        if faults:
            return Fault(9003, "Invalid arguments", set_parameter_values_faults=faults)
        overlay = self.overlay if self.overlay is not None else {}
        overlay.update((p.name, p.value) for p in request.parameters)
        if model.parameter_key:
            overlay[model.parameter_key] = request.parameter_key
        self.overlay = overlay
        return SetParameterValuesResponse(status=0)


def _set_fault(model: DataModel, value: ParameterValue) -> list[tuple[int, str]]:
    """Why a value cannot be set (9005, 9008, 9007), or nothing."""
    parameter = model.parameters.get(value.name)
    if parameter is None:
        return [(9005, "Invalid parameter name")]
    if not parameter.writable:
        return [(9008, "Attempt to set a non-writable parameter")]
    if not valid(value.value, parameter.type):
        return [(9007, "Invalid parameter value")]
    return []


def valid(value: str, kind: str) -> bool:
    """Whether a value fits a parameter of this xsd type."""
    if kind == "xsd:boolean":
        return value.strip().lower() in ("0", "1", "true", "false")
    if kind in _RANGES:
        low, high = _RANGES[kind]
        return bool(_INTEGER.fullmatch(value.strip())) and low <= int(value) <= high
    return True
