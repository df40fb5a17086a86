"""Write CWMP messages and header entries as SOAP elements that validate against the schema.

Method elements are qualified with the cwmp namespace and their arguments are not; arrays carry
their `soap-enc:arrayType`; booleans are written 1/0; a None dateTime, which every schema that
has one requires, is written as the Unknown Time. Everything else follows `soap_layout`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from lxml import etree

from acs.domain import soap
from acs.domain.messages import (
    AutonomousTransferComplete,
    Envelope,
    Fault,
    Message,
    TransferComplete,
)
from acs.domain.soap import MUST_UNDERSTAND, SOAP_ENV_NS, UNKNOWN_TIME
from acs.domain.soap_layout import SHAPES, ArrayOf, Kind, Shape, method_name

_Element = etree._Element
_Write = Callable[[_Element, str, Any], object]
_Plan = tuple[tuple[str, _Write], ...]
Writer = Callable[[Any, _Element], None]

_astuple = msgspec.structs.astuple

_SIMPLE: dict[Kind, _Write] = {
    Kind.KEY: soap.add,
    Kind.TEXT: soap.add,
    Kind.INT: lambda parent, name, value: soap.add(parent, name, str(value)),
    Kind.BOOL: lambda parent, name, value: soap.add(parent, name, "1" if value else "0"),
    Kind.TIME: lambda parent, name, value: soap.add(parent, name, _time(value)),
    Kind.STRINGS: soap.add_strings,
    Kind.PARAMETER_VALUES: soap.add_parameter_values,
}
"""How to append an argument of each simple kind."""


def _time(value: str | None) -> str:
    """A dateTime as sent, or the Unknown Time for None."""
    return UNKNOWN_TIME if value is None else value


def _plan(shape: Shape) -> _Plan:
    """Each argument of a shape as its name and its writer."""
    return tuple((arg.name, _writer_of(arg.kind)) for arg in shape.args)


def _writer_of(kind: Kind | Shape | ArrayOf) -> _Write:
    """How to append a kind, a nested struct or an array of structs."""
    if isinstance(kind, Kind):
        return _SIMPLE[kind]
    if isinstance(kind, Shape):
        plan = _plan(kind)
        return lambda parent, name, value: _write_shape(soap.add(parent, name), plan, value)
    plan, item = _plan(kind.shape), kind.item
    return lambda parent, name, values: _write_array(parent, name, item, plan, values)


def _write_shape(element: _Element, plan: _Plan, struct: msgspec.Struct) -> None:
    """Append the fields of a struct to its element, in schema order."""
    for (name, write), value in zip(plan, _astuple(struct), strict=True):
        write(element, name, value)


def _write_array(
    parent: _Element, name: str, item: str, plan: _Plan, values: tuple[msgspec.Struct, ...]
) -> None:
    """Append a `cwmp:<item>[n]` array of structs."""
    array = soap.add_array(parent, name, f"cwmp:{item}", len(values))
    for value in values:
        _write_shape(soap.add(array, item), plan, value)


def _shape_writer(shape: Shape) -> Writer:
    """The writer of a message that follows its shape."""
    plan = _plan(shape)
    return lambda message, element: _write_shape(element, plan, message)


def _write_transfer_outcome(
    element: _Element, message: TransferComplete | AutonomousTransferComplete
) -> None:
    """The FaultStruct, StartTime and CompleteTime that end both TransferComplete kinds."""
    fault = soap.add(element, "FaultStruct")
    soap.add(fault, "FaultCode", str(message.fault_code))
    soap.add(fault, "FaultString", message.fault_string)
    soap.add(element, "StartTime", _time(message.start_time))
    soap.add(element, "CompleteTime", _time(message.complete_time))


def _write_transfer_complete(message: TransferComplete, element: _Element) -> None:
    """TransferComplete (A.3.3.2)."""
    soap.add(element, "CommandKey", message.command_key)
    _write_transfer_outcome(element, message)


def _write_autonomous_transfer_complete(
    message: AutonomousTransferComplete, element: _Element
) -> None:
    """AutonomousTransferComplete (A.3.3.3)."""
    soap.add(element, "AnnounceURL", message.announce_url)
    soap.add(element, "TransferURL", message.transfer_url)
    soap.add(element, "IsDownload", "1" if message.is_download else "0")
    soap.add(element, "FileType", message.file_type)
    soap.add(element, "FileSize", str(message.file_size))
    soap.add(element, "TargetFileName", message.target_file_name)
    _write_transfer_outcome(element, message)


WRITERS: dict[type[msgspec.Struct], tuple[str, Writer]] = {
    **{shape.struct: (method_name(shape.struct), _shape_writer(shape)) for shape in SHAPES},
    TransferComplete: ("TransferComplete", _write_transfer_complete),
    AutonomousTransferComplete: ("AutonomousTransferComplete", _write_autonomous_transfer_complete),
}
"""The method name and argument writer of each message type but Fault."""


def write_body(body: _Element, message: Message, namespace: str) -> None:
    """Append the method element of a message, or a SOAP Fault, to the SOAP Body."""
    if isinstance(message, Fault):
        _write_fault(body, message, namespace)
        return
    found = WRITERS.get(type(message))
    if found is None:
        raise TypeError(f"cannot encode {type(message).__name__}")
    name, write = found
    write(message, etree.SubElement(body, f"{{{namespace}}}{name}"))


def _write_fault(body: _Element, fault: Fault, namespace: str) -> None:
    """A SOAP Fault with the CWMP fault in its detail (A.4.1.1)."""
    element = etree.SubElement(body, f"{{{SOAP_ENV_NS}}}Fault")
    soap.add(element, "faultcode", fault.faultcode)
    soap.add(element, "faultstring", "CWMP fault")
    cwmp_fault = etree.SubElement(soap.add(element, "detail"), f"{{{namespace}}}Fault")
    soap.add(cwmp_fault, "FaultCode", str(fault.code))
    soap.add(cwmp_fault, "FaultString", fault.string)
    for item in fault.set_parameter_values_faults:
        struct = soap.add(cwmp_fault, "SetParameterValuesFault")
        soap.add(struct, "ParameterName", item.parameter_name)
        soap.add(struct, "FaultCode", str(item.fault_code))
        soap.add(struct, "FaultString", item.fault_string)


# --- header ------------------------------------------------------------------

_MUST = {MUST_UNDERSTAND: "1"}
_MAY = {MUST_UNDERSTAND: "0"}
_PLAIN: dict[str, str] = {}


def _header_entries(envelope: Envelope) -> list[tuple[str, str, dict[str, str]]]:
    """The header entries an envelope carries: name, text, attributes (A.4.1)."""
    entries = []
    if envelope.id is not None:
        entries.append(("ID", envelope.id, _MUST))
    if envelope.hold_requests:
        entries.append(("HoldRequests", "1", _MUST))
    if envelope.session_timeout is not None:
        entries.append(("SessionTimeout", str(envelope.session_timeout), _PLAIN))
    if envelope.supported_versions is not None:
        entries.append(("SupportedCWMPVersions", envelope.supported_versions, _MAY))
    if envelope.use_version is not None:
        entries.append(("UseCWMPVersion", envelope.use_version, _MUST))
    return entries


def write_header(root: _Element, envelope: Envelope, namespace: str) -> None:
    """The SOAP Header, only when there is a header entry to send."""
    entries = _header_entries(envelope)
    if not entries:
        return
    header = etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Header")
    for name, value, attributes in entries:
        etree.SubElement(header, f"{{{namespace}}}{name}", attributes).text = value
