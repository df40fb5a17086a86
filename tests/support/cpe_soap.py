"""The SOAP side of the CPE simulator: namespaces, fault codes, parsing and building envelopes.

Everything here is pure and independent of the ``acs`` package: the simulator reads the ACS's
messages by local names (whatever the prefixes or the cwmp-1-x namespace) and writes its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, cast

from lxml import etree

CWMP_1_0: Final = "urn:dslforum-org:cwmp-1-0"
CWMP_1_1: Final = "urn:dslforum-org:cwmp-1-1"
CWMP_1_2: Final = "urn:dslforum-org:cwmp-1-2"
SOAP_ENV: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC: Final = "http://schemas.xmlsoap.org/soap/encoding/"
XSD: Final = "http://www.w3.org/2001/XMLSchema"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
UNKNOWN_TIME: Final = "0001-01-01T00:00:00Z"
# The namespace each protocol version's messages use (versions 1.3 and 1.4 extend cwmp-1-2).
VERSION_NAMESPACES: Final = {
    "1.0": CWMP_1_0,
    "1.1": CWMP_1_1,
    "1.2": CWMP_1_2,
    "1.3": CWMP_1_2,
    "1.4": CWMP_1_2,
}
# TR-069 A.5.1 CPE fault codes (and ACS ones, 8000-8006, for describing the ACS's faults).
FAULT_STRINGS: Final = {
    8000: "Method not supported",
    8001: "Request denied",
    8002: "Internal error",
    8003: "Invalid arguments",
    8004: "Resources exceeded",
    8005: "Retry request",
    8006: "ACS version incompatible with CPE",
    9000: "Method not supported",
    9001: "Request denied",
    9002: "Internal error",
    9003: "Invalid arguments",
    9004: "Resources exceeded",
    9005: "Invalid parameter name",
    9006: "Invalid parameter type",
    9007: "Invalid parameter value",
    9008: "Attempt to set a non-writable parameter",
    9009: "Notification request rejected",
    9010: "Download failure",
    9011: "Upload failure",
    9012: "File transfer server authentication failure",
    9013: "Unsupported protocol for file transfer",
    9014: "File transfer failure: unable to join multicast group",
    9015: "File transfer failure: unable to contact file server",
    9016: "File transfer failure: unable to access file",
    9017: "File transfer failure: unable to complete download",
    9018: "File transfer failure: file corrupted",
    9019: "File transfer failure: file authentication failure",
    9020: "File transfer failure: unable to complete download within specified time windows",
}
_PARSER: Final = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)


class SimulatorError(Exception):
    """The ACS misbehaved: bad HTTP status, SOAP Fault, unparseable body or no InformResponse."""


class CpeFault(Exception):  # noqa: N818 - named after the CWMP Fault it carries
    """A CWMP fault the CPE answers instead of a method response (TR-069 A.5)."""

    def __init__(self, code: int, parameters: Sequence[tuple[str, int]] = ()) -> None:
        super().__init__(f"{code} {fault_string(code)}")
        self.code = code
        self.parameters = list(parameters)


@dataclass(frozen=True)
class Message:
    """An ACS message: the Body's first child by local name, its cwmp:ID and SOAP headers."""

    method: str
    cwmp_id: str | None
    element: etree._Element
    hold_requests: bool = False
    use_version: str | None = None

    @property
    def fault_code(self) -> int | None:
        """The cwmp:Fault's FaultCode if this is a SOAP Fault, else None."""
        if self.method != "Fault":
            return None
        code = next((e.text for e in self.element.iter() if _is(e, "FaultCode")), None)
        try:
            return int((code or "").strip())
        except ValueError:
            return None


def fault_string(code: int) -> str:
    """The TR-069 fault string of a fault code."""
    return FAULT_STRINGS.get(code, "Vendor fault")


def new_id() -> str:
    """A fresh cwmp:ID for a CPE request."""
    return secrets.token_hex(4)


def parse(body: bytes) -> Message:
    """Parse an ACS message by local names, whatever its prefixes or CWMP namespace."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise SimulatorError(f"unparseable body from the ACS ({error}): {body[:300]!r}") from error
    soap_body = child(root, "Body") if local(root) == "Envelope" else None
    method = None if soap_body is None else next(children(soap_body), None)
    if method is None:
        raise SimulatorError(f"not a SOAP envelope with a request in its Body: {body[:300]!r}")
    header = child(root, "Header")
    headers = {} if header is None else {local(e): (e.text or "").strip() for e in children(header)}
    return Message(
        method=local(method),
        cwmp_id=headers.get("ID"),
        element=method,
        hold_requests=headers.get("HoldRequests", "").lower() in ("1", "true"),
        use_version=headers.get("UseCWMPVersion"),
    )


def describe(message: Message) -> str:
    """A message's method, with the fault code and string if it is a SOAP Fault."""
    if message.method != "Fault":
        return message.method
    found = {local(e): e.text for e in message.element.iter() if isinstance(e.tag, str)}
    text = found.get("FaultString") or found.get("faultstring")
    return f"a SOAP Fault {found.get('FaultCode')} {text}"


def envelope(
    namespace: str, cwmp_id: str | None, extra_headers: Sequence[tuple[str, str, str]] = ()
) -> tuple[etree._Element, etree._Element]:
    """A SOAP envelope, its cwmp:ID and extra (name, text, mustUnderstand) headers, its Body."""
    nsmap = {"soap-env": SOAP_ENV, "soap-enc": SOAP_ENC, "xsd": XSD, "xsi": XSI, "cwmp": namespace}
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=nsmap)
    headers = [("ID", cwmp_id, "1")] if cwmp_id is not None else []
    headers.extend(extra_headers)
    if headers:
        header = etree.SubElement(root, f"{{{SOAP_ENV}}}Header")
        for name, text, must_understand in headers:
            element = etree.SubElement(
                header, f"{{{namespace}}}{name}", {f"{{{SOAP_ENV}}}mustUnderstand": must_understand}
            )
            element.text = text
    return root, etree.SubElement(root, f"{{{SOAP_ENV}}}Body")


def write_fault(body: etree._Element, namespace: str, fault: CpeFault) -> None:
    """A SOAP Fault carrying a cwmp:Fault (TR-069 A.5)."""
    soap_fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    add(soap_fault, "faultcode", "Client")
    add(soap_fault, "faultstring", "CWMP fault")
    detail = etree.SubElement(etree.SubElement(soap_fault, "detail"), f"{{{namespace}}}Fault")
    add(detail, "FaultCode", str(fault.code))
    add(detail, "FaultString", fault_string(fault.code))
    for name, code in fault.parameters:
        entry = etree.SubElement(detail, "SetParameterValuesFault")
        add(entry, "ParameterName", name)
        add(entry, "FaultCode", str(code))
        add(entry, "FaultString", fault_string(code))


def serialize(root: etree._Element, charset: str = "utf-8") -> bytes:
    """The envelope as XML in this charset, with the declaration real CPEs write."""
    declaration = f'<?xml version="1.0" encoding="{charset.upper()}"?>\n'.encode("ascii")
    return declaration + cast(bytes, etree.tostring(root, encoding=charset, xml_declaration=False))


def local(element: etree._Element) -> str:
    """An element's local name."""
    return etree.QName(element).localname


def _is(element: etree._Element, name: str) -> bool:
    """Whether this is an element (not a comment) with this local name."""
    return isinstance(element.tag, str) and local(element) == name


def children(element: etree._Element) -> Iterator[etree._Element]:
    """An element's child elements, without comments or processing instructions."""
    return (item for item in element if isinstance(item.tag, str))


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child element with this local name."""
    return next((item for item in children(element) if local(item) == name), None)


def required(element: etree._Element, name: str) -> etree._Element:
    """A child element the ACS's request must have."""
    found = child(element, name)
    if found is None:
        raise SimulatorError(f"the ACS's {local(element)} has no {name}")
    return found


def text(element: etree._Element, name: str) -> str:
    """The text of a child element, empty when it is missing or empty."""
    found = child(element, name)
    return "" if found is None else (found.text or "")


def add(parent: etree._Element, tag: str, value: str) -> etree._Element:
    """Append an unqualified child element with this text."""
    item = etree.SubElement(parent, tag)
    item.text = value
    return item


def array(parent: etree._Element, tag: str, array_type: str) -> etree._Element:
    """Append a SOAP-encoded array element with its soap-enc:arrayType."""
    return etree.SubElement(parent, tag, {f"{{{SOAP_ENC}}}arrayType": array_type})
