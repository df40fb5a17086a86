"""The CWMP SOAP codec (TR-069 Annex A): pure `decode` of what peers send, `encode` of ours.

Decoding is lenient, as real CPEs demand: any envelope prefix, elements matched by local name,
missing `xsi:type` read as xsd:string, array sizes ignored, booleans in any case, the Unknown
Time read as None. A ParameterValueStruct array that repeats a Name keeps its first place and
its last value. Encoding is strict and validates against the CWMP schema; CWMP 1.3 and 1.4 are
emitted in the `cwmp-1-2` namespace (A.2.1), so they decode as 1.2. Readers and writers live
in `soap_read` and `soap_write`, the method layouts they share in `soap_layout`.
"""

from __future__ import annotations

from lxml import etree

from acs.domain import soap
from acs.domain.messages import CwmpVersion, Envelope
from acs.domain.soap import (
    SOAP_ENV_NS,
    CodecError,
    MalformedMessageError,
    UnknownMethodError,
    wire_namespace,
)
from acs.domain.soap_read import READERS, read_header
from acs.domain.soap_write import write_body, write_header

__all__ = [
    "CodecError",
    "MalformedMessageError",
    "UnknownMethodError",
    "decode",
    "encode",
    "wire_namespace",
]

_Element = etree._Element


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
    reader = READERS.get(method)
    if reader is None:
        raise UnknownMethodError(method)
    entries: list[_Element] = [] if header is None else list(header)
    return Envelope(
        message=reader(body_element),
        version=_version(body_element, entries),
        **read_header(entries),
    )


def _version(body_element: _Element, entries: list[_Element]) -> CwmpVersion:
    """The namespace of the method, else of a header entry, else of a fault detail; else 1.0."""
    version = soap.version_of([body_element, *entries])
    detail = soap.fields(body_element).get("detail") if version is None else None
    if detail is not None:
        version = soap.version_of(detail)
    return version or CwmpVersion.V1_0


def encode(envelope: Envelope) -> bytes:
    """Encode an envelope as UTF-8 SOAP with an XML declaration."""
    namespace = wire_namespace(envelope.version)
    root = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap=soap.nsmap(namespace))
    write_header(root, envelope, namespace)
    write_body(etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Body"), envelope.message, namespace)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)
