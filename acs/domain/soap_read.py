"""Read CWMP messages and header entries out of parsed SOAP elements, leniently.

Children are matched by local name, array sizes are ignored, booleans are 1/0/true/false in any
case, strings other than keys lose their surrounding whitespace, and the Unknown Time reads as
None. Everything else follows the shapes of `soap_layout`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from acs.domain import soap
from acs.domain.messages import (
    AnyMessage,
    AutonomousTransferComplete,
    Fault,
    SetParameterValuesFault,
    TransferComplete,
)
from acs.domain.soap import MalformedMessageError
from acs.domain.soap_layout import (
    REQUIRED,
    SHAPES,
    ArrayOf,
    Kind,
    Shape,
    absent_value,
    method_name,
)

_Element = etree._Element
_Read = Callable[[_Element, str], Any]
_Plan = tuple[tuple[str, _Read, Any], ...]
Reader = Callable[[_Element], AnyMessage]


def _read_int(element: _Element, name: str) -> int:
    """An integer argument; MalformedMessageError names it when it is not one."""
    return soap.integer(element, name, 0)


_SIMPLE: dict[Kind, _Read] = {
    Kind.KEY: lambda element, _: soap.raw_text(element),
    Kind.TEXT: lambda element, _: soap.text(element),
    Kind.INT: _read_int,
    Kind.BOOL: lambda element, _: soap.boolean(element),
    Kind.TIME: lambda element, _: soap.time(element),
    Kind.STRINGS: lambda element, _: soap.strings(element),
    Kind.PARAMETER_VALUES: lambda element, _: soap.parameter_values(element),
}
"""How to read a present element of each simple kind."""


def _plan(shape: Shape) -> _Plan:
    """Each argument of a shape as its name, its reader and its absent value."""
    return tuple(
        (arg.name, _reader_of(arg.kind), absent_value(shape, index))
        for index, arg in enumerate(shape.args)
    )


def _reader_of(kind: Kind | Shape | ArrayOf) -> _Read:
    """How to read a present element of a kind, a nested struct or an array of structs."""
    if isinstance(kind, Kind):
        return _SIMPLE[kind]
    if isinstance(kind, Shape):
        plan, make = _plan(kind), kind.struct
        return lambda element, _: _read_shape(element, plan, make)
    plan, make = _plan(kind.shape), kind.shape.struct
    return lambda element, _: tuple(_read_shape(item, plan, make) for item in element)


def _read_shape(element: _Element, plan: _Plan, make: Callable[..., Any]) -> Any:
    """Read the arguments of an element by plan and build its struct from them."""
    parts = soap.fields(element)
    values = []
    for name, read, absent in plan:
        child = parts.get(name)
        if child is not None:
            values.append(read(child, name))
        elif absent is REQUIRED:
            raise MalformedMessageError(f"missing {name}")
        else:
            values.append(absent)
    return make(*values)


def _shape_reader(shape: Shape) -> Reader:
    """The reader of a method element that follows its shape."""
    plan, make = _plan(shape), shape.struct
    return lambda element: _read_shape(element, plan, make)


def _fault_struct(parts: dict[str, _Element]) -> tuple[int, str]:
    """The FaultCode and FaultString of a FaultStruct argument; 0 and "" when it is absent."""
    fault = soap.fields(parts["FaultStruct"]) if "FaultStruct" in parts else {}
    code = soap.integer(fault.get("FaultCode"), "FaultCode", 0)
    return code, soap.text(fault.get("FaultString"))


def _read_transfer_complete(element: _Element) -> TransferComplete:
    """TransferComplete (A.3.3.2) with its FaultStruct flattened."""
    parts = soap.fields(element)
    fault_code, fault_string = _fault_struct(parts)
    return TransferComplete(
        command_key=soap.raw_text(parts.get("CommandKey")),
        fault_code=fault_code,
        fault_string=fault_string,
        start_time=soap.time(parts.get("StartTime")),
        complete_time=soap.time(parts.get("CompleteTime")),
    )


def _read_autonomous_transfer_complete(element: _Element) -> AutonomousTransferComplete:
    """AutonomousTransferComplete (A.3.3.3) with its FaultStruct flattened."""
    parts = soap.fields(element)
    fault_code, fault_string = _fault_struct(parts)
    return AutonomousTransferComplete(
        announce_url=soap.text(parts.get("AnnounceURL")),
        transfer_url=soap.text(parts.get("TransferURL")),
        is_download=soap.boolean(parts.get("IsDownload")),
        file_type=soap.text(parts.get("FileType")),
        file_size=soap.integer(parts.get("FileSize"), "FileSize", 0),
        target_file_name=soap.text(parts.get("TargetFileName")),
        fault_code=fault_code,
        fault_string=fault_string,
        start_time=soap.time(parts.get("StartTime")),
        complete_time=soap.time(parts.get("CompleteTime")),
    )


def _read_fault(element: _Element) -> Fault:
    """A SOAP Fault whose detail holds a cwmp:Fault (A.4.1.1); faultcode loses its prefix."""
    parts = soap.fields(element)
    detail = parts.get("detail")
    cwmp_fault = None if detail is None else soap.fields(detail).get("Fault")
    if cwmp_fault is None and "FaultCode" in parts:
        cwmp_fault = element
    if cwmp_fault is None:
        raise MalformedMessageError("SOAP Fault without a cwmp:Fault detail")
    fault = soap.fields(cwmp_fault)
    return Fault(
        code=soap.integer(soap.required(fault, "FaultCode"), "FaultCode", 0),
        string=soap.text(fault.get("FaultString")),
        set_parameter_values_faults=tuple(
            _read_set_fault(child)
            for child in cwmp_fault
            if soap.local(child.tag) == "SetParameterValuesFault"
        ),
        faultcode=soap.text(parts.get("faultcode")).rpartition(":")[2] or "Client",
    )


def _read_set_fault(element: _Element) -> SetParameterValuesFault:
    """One SetParameterValuesFault."""
    parts = soap.fields(element)
    return SetParameterValuesFault(
        parameter_name=soap.text(parts.get("ParameterName")),
        fault_code=soap.integer(parts.get("FaultCode"), "FaultCode", 0),
        fault_string=soap.text(parts.get("FaultString")),
    )


READERS: dict[str, Reader] = {
    **{method_name(shape.struct): _shape_reader(shape) for shape in SHAPES},
    "TransferComplete": _read_transfer_complete,
    "AutonomousTransferComplete": _read_autonomous_transfer_complete,
    "Fault": _read_fault,
}
"""How to read the body element of each CWMP method, by its local name."""


# --- header ------------------------------------------------------------------


def _session_timeout(element: _Element) -> int | None:
    """A SessionTimeout in seconds; None when it is not a plain decimal number."""
    value = soap.text(element)
    try:
        return int(value) if value.isdecimal() else None
    except ValueError:  # more digits than int() converts
        return None


_HEADERS: dict[str, tuple[str, Callable[[_Element], Any]]] = {
    "id": ("id", soap.raw_text),
    "holdrequests": ("hold_requests", soap.boolean),
    "sessiontimeout": ("session_timeout", _session_timeout),
    "supportedcwmpversions": ("supported_versions", soap.text),
    "usecwmpversion": ("use_version", soap.text),
}
"""The Envelope field and reader of each CWMP header entry (A.4.1), by lower-case name."""


def read_header(entries: list[_Element]) -> dict[str, Any]:
    """The Envelope fields carried by header entries; names in any case, others ignored."""
    found: dict[str, Any] = {}
    for entry in entries:
        known = _HEADERS.get(soap.local(entry.tag).lower())
        if known is not None:
            found[known[0]] = known[1](entry)
    return found
