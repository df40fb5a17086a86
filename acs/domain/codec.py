"""The CWMP SOAP codec (TR-069 Annex A): pure `decode` of what peers send, `encode` of ours.

Decoding is lenient, as real CPEs demand: any envelope prefix, elements matched by local name,
missing `xsi:type` read as xsd:string, array sizes ignored. A ParameterValueStruct array that
repeats a Name keeps its first place and its last value. Encoding is strict and validates
against the CWMP schema; CWMP 1.3 and 1.4 are emitted in the `cwmp-1-2` namespace (A.2.1).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from lxml import etree

from acs.domain import soap
from acs.domain.messages import (
    AnyMessage,
    CwmpVersion,
    DeviceIdStruct,
    Envelope,
    EventStruct,
    FactoryReset,
    FactoryResetResponse,
    Fault,
    GetParameterNames,
    GetParameterNamesResponse,
    GetParameterValues,
    GetParameterValuesResponse,
    GetRPCMethods,
    GetRPCMethodsResponse,
    Inform,
    InformResponse,
    Message,
    ParameterInfo,
    Reboot,
    RebootResponse,
    SetParameterValues,
    SetParameterValuesFault,
    SetParameterValuesResponse,
    TransferComplete,
    TransferCompleteResponse,
)
from acs.domain.soap import (
    SOAP_ENV_NS,
    CodecError,
    MalformedMessageError,
    UnknownMethodError,
    wire_namespace,
)

__all__ = [
    "CodecError",
    "MalformedMessageError",
    "UnknownMethodError",
    "decode",
    "encode",
    "wire_namespace",
]

_Element = etree._Element


# --- decoding ----------------------------------------------------------------


def decode(body: bytes, charset: str | None = None) -> Envelope:
    """Decode a SOAP envelope; `charset` (from HTTP) applies when the XML declares none."""
    root = soap.parse(body, charset)
    if soap.local(root.tag) != "Envelope":
        raise MalformedMessageError("not a SOAP Envelope")
    parts = {soap.local(child.tag).lower(): child for child in root}
    header = parts.get("header")
    body_element = next(iter(soap.required(parts, "body")), None)
    if body_element is None:
        raise MalformedMessageError("empty SOAP Body")
    method = soap.local(body_element.tag)
    reader = _READERS.get(method)
    if reader is None:
        raise UnknownMethodError(method)
    headers: list[_Element] = [] if header is None else list(header)
    id_, hold_requests, session_timeout = _read_header(headers)
    return Envelope(
        message=reader(body_element),
        version=_version(body_element, headers),
        id=id_,
        hold_requests=hold_requests,
        session_timeout=session_timeout,
    )


def _version(body_element: _Element, headers: list[_Element]) -> CwmpVersion:
    """The namespace of the method, else of a header, else of a fault detail; else 1.0."""
    version = soap.version_of([body_element, *headers])
    detail = soap.fields(body_element).get("detail") if version is None else None
    if detail is not None:
        version = soap.version_of(detail)
    return version or CwmpVersion.V1_0


def _read_header(headers: list[_Element]) -> tuple[str | None, bool, int | None]:
    """The cwmp:ID, HoldRequests and SessionTimeout headers (A.4.1), names in any case."""
    id_: str | None = None
    hold_requests = False
    session_timeout: int | None = None
    for header in headers:
        name = soap.local(header.tag).lower()
        if name == "id":
            id_ = soap.raw_text(header)
        elif name == "holdrequests":
            hold_requests = soap.boolean(header)
        elif name == "sessiontimeout" and soap.text(header).isdigit():
            session_timeout = int(soap.text(header))
    return id_, hold_requests, session_timeout


def _read_inform(element: _Element) -> Inform:
    """Inform (A.3.3.1); a broken CurrentTime is kept as sent."""
    parts = soap.fields(element)
    device = soap.fields(soap.required(parts, "DeviceId"))
    event = parts.get("Event")
    return Inform(
        device_id=DeviceIdStruct(
            manufacturer=soap.text(device.get("Manufacturer")),
            oui=soap.text(soap.required(device, "OUI")),
            product_class=soap.text(device.get("ProductClass")),
            serial_number=soap.text(soap.required(device, "SerialNumber")),
        ),
        events=() if event is None else tuple(_read_event(struct) for struct in event),
        max_envelopes=soap.integer(parts.get("MaxEnvelopes"), "MaxEnvelopes", 1),
        current_time=soap.optional_text(parts.get("CurrentTime")),
        retry_count=soap.integer(parts.get("RetryCount"), "RetryCount", 0),
        parameters=soap.parameter_values(parts.get("ParameterList")),
    )


def _read_event(element: _Element) -> EventStruct:
    """One EventStruct; the CommandKey is kept exactly as sent."""
    parts = soap.fields(element)
    return EventStruct(soap.text(parts.get("EventCode")), soap.raw_text(parts.get("CommandKey")))


def _read_transfer_complete(element: _Element) -> TransferComplete:
    """TransferComplete (A.3.3.2) with its FaultStruct flattened."""
    parts = soap.fields(element)
    fault = soap.fields(parts["FaultStruct"]) if "FaultStruct" in parts else {}
    return TransferComplete(
        command_key=soap.raw_text(parts.get("CommandKey")),
        fault_code=soap.integer(fault.get("FaultCode"), "FaultCode", 0),
        fault_string=soap.text(fault.get("FaultString")),
        start_time=soap.optional_text(parts.get("StartTime")),
        complete_time=soap.optional_text(parts.get("CompleteTime")),
    )


def _read_parameter_names(element: _Element) -> GetParameterNamesResponse:
    """GetParameterNamesResponse (A.3.2.3)."""
    structs = soap.fields(element).get("ParameterList")
    found = () if structs is None else tuple(structs)
    return GetParameterNamesResponse(tuple(_read_parameter_info(struct) for struct in found))


def _read_parameter_info(element: _Element) -> ParameterInfo:
    """One ParameterInfoStruct."""
    parts = soap.fields(element)
    return ParameterInfo(
        soap.text(soap.required(parts, "Name")), soap.boolean(parts.get("Writable"))
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


_READERS: dict[str, Callable[[_Element], AnyMessage]] = {
    "Inform": _read_inform,
    "TransferComplete": _read_transfer_complete,
    "GetRPCMethods": lambda _: GetRPCMethods(),
    "InformResponse": lambda e: InformResponse(
        soap.integer(soap.child(e, "MaxEnvelopes"), "MaxEnvelopes", 1)
    ),
    "TransferCompleteResponse": lambda _: TransferCompleteResponse(),
    "GetRPCMethodsResponse": lambda e: GetRPCMethodsResponse(
        soap.strings(soap.child(e, "MethodList"))
    ),
    "GetParameterValues": lambda e: GetParameterValues(
        soap.strings(soap.child(e, "ParameterNames"))
    ),
    "SetParameterValues": lambda e: SetParameterValues(
        soap.parameter_values(soap.child(e, "ParameterList")),
        soap.raw_text(soap.child(e, "ParameterKey")),
    ),
    "GetParameterNames": lambda e: GetParameterNames(
        soap.text(soap.child(e, "ParameterPath")), soap.boolean(soap.child(e, "NextLevel"))
    ),
    "Reboot": lambda e: Reboot(soap.raw_text(soap.child(e, "CommandKey"))),
    "FactoryReset": lambda _: FactoryReset(),
    "GetParameterValuesResponse": lambda e: GetParameterValuesResponse(
        soap.parameter_values(soap.child(e, "ParameterList"))
    ),
    "SetParameterValuesResponse": lambda e: SetParameterValuesResponse(
        soap.integer(soap.required(soap.fields(e), "Status"), "Status", 0)
    ),
    "GetParameterNamesResponse": _read_parameter_names,
    "RebootResponse": lambda _: RebootResponse(),
    "FactoryResetResponse": lambda _: FactoryResetResponse(),
    "Fault": _read_fault,
}
"""How to read the body element of each CWMP method, by its local name."""


# --- encoding ----------------------------------------------------------------


def encode(envelope: Envelope) -> bytes:
    """Encode an envelope as UTF-8 SOAP with an XML declaration."""
    namespace = wire_namespace(envelope.version)
    root = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap=soap.nsmap(namespace))
    _write_header(root, envelope, namespace)
    body = etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Body")
    message = envelope.message
    if isinstance(message, Fault):
        _write_fault(body, message, namespace)
    else:
        tag = f"{{{namespace}}}{message.__struct_config__.tag}"
        _write_arguments(message, etree.SubElement(body, tag))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


def _write_header(root: _Element, envelope: Envelope, namespace: str) -> None:
    """The SOAP Header, only when there is a header to send (A.4.1)."""
    if envelope.id is None and not envelope.hold_requests and envelope.session_timeout is None:
        return
    header = etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Header")
    must_understand = {soap.MUST_UNDERSTAND: "1"}
    if envelope.id is not None:
        etree.SubElement(header, f"{{{namespace}}}ID", must_understand).text = envelope.id
    if envelope.hold_requests:
        etree.SubElement(header, f"{{{namespace}}}HoldRequests", must_understand).text = "1"
    if envelope.session_timeout is not None:
        timeout = etree.SubElement(header, f"{{{namespace}}}SessionTimeout")
        timeout.text = str(envelope.session_timeout)


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


@functools.singledispatch
def _write_arguments(message: Message, element: _Element) -> None:
    """Append the arguments of a message to its body element."""
    raise TypeError(f"cannot encode {type(message).__name__}")


@_write_arguments.register(GetRPCMethods)
@_write_arguments.register(TransferCompleteResponse)
@_write_arguments.register(FactoryReset)
@_write_arguments.register(RebootResponse)
@_write_arguments.register(FactoryResetResponse)
def _write_nothing(message: Message, element: _Element) -> None:
    """Methods without arguments are an empty element."""


@_write_arguments.register
def _write_inform(message: Inform, element: _Element) -> None:
    """Inform (A.3.3.1); a None CurrentTime is left out."""
    device = soap.add(element, "DeviceId")
    soap.add(device, "Manufacturer", message.device_id.manufacturer)
    soap.add(device, "OUI", message.device_id.oui)
    soap.add(device, "ProductClass", message.device_id.product_class)
    soap.add(device, "SerialNumber", message.device_id.serial_number)
    events = soap.add_array(element, "Event", "cwmp:EventStruct", len(message.events))
    for event in message.events:
        struct = soap.add(events, "EventStruct")
        soap.add(struct, "EventCode", event.event_code)
        soap.add(struct, "CommandKey", event.command_key)
    soap.add(element, "MaxEnvelopes", str(message.max_envelopes))
    if message.current_time is not None:
        soap.add(element, "CurrentTime", message.current_time)
    soap.add(element, "RetryCount", str(message.retry_count))
    soap.add_parameter_values(element, "ParameterList", message.parameters)


@_write_arguments.register
def _write_transfer_complete(message: TransferComplete, element: _Element) -> None:
    """TransferComplete (A.3.3.2); None times are left out."""
    soap.add(element, "CommandKey", message.command_key)
    fault = soap.add(element, "FaultStruct")
    soap.add(fault, "FaultCode", str(message.fault_code))
    soap.add(fault, "FaultString", message.fault_string)
    if message.start_time is not None:
        soap.add(element, "StartTime", message.start_time)
    if message.complete_time is not None:
        soap.add(element, "CompleteTime", message.complete_time)


@_write_arguments.register
def _write_inform_response(message: InformResponse, element: _Element) -> None:
    """InformResponse (A.3.3.1)."""
    soap.add(element, "MaxEnvelopes", str(message.max_envelopes))


@_write_arguments.register
def _write_rpc_methods(message: GetRPCMethodsResponse, element: _Element) -> None:
    """GetRPCMethodsResponse (A.3.1.1)."""
    methods = soap.add_array(element, "MethodList", "xsd:string", len(message.methods))
    for method in message.methods:
        soap.add(methods, "string", method)


@_write_arguments.register
def _write_get_values(message: GetParameterValues, element: _Element) -> None:
    """GetParameterValues (A.3.2.2)."""
    names = soap.add_array(element, "ParameterNames", "xsd:string", len(message.names))
    for name in message.names:
        soap.add(names, "string", name)


@_write_arguments.register
def _write_set_values(message: SetParameterValues, element: _Element) -> None:
    """SetParameterValues (A.3.2.1)."""
    soap.add_parameter_values(element, "ParameterList", message.parameters)
    soap.add(element, "ParameterKey", message.parameter_key)


@_write_arguments.register
def _write_get_names(message: GetParameterNames, element: _Element) -> None:
    """GetParameterNames (A.3.2.3)."""
    soap.add(element, "ParameterPath", message.path)
    soap.add(element, "NextLevel", "1" if message.next_level else "0")


@_write_arguments.register
def _write_reboot(message: Reboot, element: _Element) -> None:
    """Reboot (A.3.2.9)."""
    soap.add(element, "CommandKey", message.command_key)


@_write_arguments.register
def _write_values_response(message: GetParameterValuesResponse, element: _Element) -> None:
    """GetParameterValuesResponse (A.3.2.2)."""
    soap.add_parameter_values(element, "ParameterList", message.parameters)


@_write_arguments.register
def _write_set_response(message: SetParameterValuesResponse, element: _Element) -> None:
    """SetParameterValuesResponse (A.3.2.1)."""
    soap.add(element, "Status", str(message.status))


@_write_arguments.register
def _write_names_response(message: GetParameterNamesResponse, element: _Element) -> None:
    """GetParameterNamesResponse (A.3.2.3)."""
    array = soap.add_array(
        element, "ParameterList", "cwmp:ParameterInfoStruct", len(message.parameters)
    )
    for info in message.parameters:
        struct = soap.add(array, "ParameterInfoStruct")
        soap.add(struct, "Name", info.name)
        soap.add(struct, "Writable", "1" if info.writable else "0")
