"""SOAP 1.1 plumbing for the CWMP codec: namespaces, the hardened parser, element helpers."""

from __future__ import annotations

import codecs
import functools
from collections.abc import Iterable

from lxml import etree

from acs.domain.messages import CwmpVersion, ParameterValue

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC_NS = "http://schemas.xmlsoap.org/soap/encoding/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

MUST_UNDERSTAND = f"{{{SOAP_ENV_NS}}}mustUnderstand"
ARRAY_TYPE = f"{{{SOAP_ENC_NS}}}arrayType"
XSI_TYPE = f"{{{XSI_NS}}}type"
DEFAULT_TYPE = "xsd:string"
UNKNOWN_TIME = "0001-01-01T00:00:00Z"
"""The Unknown Time of TR-069 3.2.1: a dateTime the schema requires but nobody knows."""

_VERSION_OF_NAMESPACE = {version.value: version for version in CwmpVersion}
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_UTF8 = codecs.lookup("utf-8").name

# No DTD, no entity expansion, no network: XXE and entity bombs die here (SOAP 1.1 §3 forbids
# DTDs anyway). lxml serialises use of one parser across threads with a lock.
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_comments=True,
    remove_pis=True,
)


class CodecError(ValueError):
    """A CWMP message could not be decoded; the message never quotes the input."""


class MalformedMessageError(CodecError):
    """The body is not a well-formed, DTD-free SOAP envelope with a usable CWMP message."""


class UnknownMethodError(CodecError):
    """The body carries a CWMP method this codec does not know (answer with fault 8000)."""

    def __init__(self, method_name: str) -> None:
        super().__init__("unknown CWMP method")
        self.method_name = method_name


def wire_namespace(version: CwmpVersion) -> str:
    """The namespace sent on the wire: CWMP 1.3 and 1.4 keep `cwmp-1-2` (A.2.1)."""
    if version in (CwmpVersion.V1_3, CwmpVersion.V1_4):
        return CwmpVersion.V1_2.namespace
    return version.namespace


def version_of(elements: Iterable[etree._Element]) -> CwmpVersion | None:
    """The version of the first element in a cwmp namespace, if any."""
    for element in elements:
        version = _VERSION_OF_NAMESPACE.get(etree.QName(element).namespace or "")
        if version is not None:
            return version
    return None


def parse(body: bytes, charset: str | None) -> etree._Element:
    """Parse a body with the hardened parser; reject a DTD; never echo the input."""
    data = body if body.startswith(_BOMS) else body.lstrip()
    if not data:
        raise MalformedMessageError("empty body")
    if b"<!DOCTYPE" in data:
        raise MalformedMessageError("a DTD is not allowed")
    try:
        root = etree.fromstring(_with_charset(data, charset), _PARSER)
    except etree.XMLSyntaxError as error:
        raise MalformedMessageError(f"not well-formed XML (line {error.lineno})") from None
    except ValueError:
        raise MalformedMessageError("not well-formed XML") from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise MalformedMessageError("a DTD is not allowed")
    return root


def _with_charset(data: bytes, charset: str | None) -> bytes | str:
    """Decode with the HTTP charset only when the document does not name its own encoding."""
    if not charset or data.startswith(_BOMS):
        return data
    if data.startswith(b"<?xml") and b"encoding" in data[: data.find(b"?>")]:
        return data
    try:
        name = codecs.lookup(charset.strip().strip("\"'")).name
    except LookupError:
        return data
    if name == _UTF8:
        return data
    try:
        return data.decode(name)
    except UnicodeDecodeError:
        raise MalformedMessageError("body does not match its charset") from None
    except LookupError:  # a bytes-to-bytes codec such as base64 is no charset
        return data


def local(tag: str) -> str:
    """The local part of a Clark-notation tag such as `{urn:x}Inform`."""
    return tag[tag.find("}") + 1 :]


def fields(element: etree._Element) -> dict[str, etree._Element]:
    """The children of an element by local name (the last one wins)."""
    return {local(child.tag): child for child in element}


def text(element: etree._Element | None) -> str:
    """The stripped text of an element, empty when absent."""
    if element is None or element.text is None:
        return ""
    return element.text.strip()


def raw_text(element: etree._Element | None) -> str:
    """The text of an element exactly as sent, empty when absent."""
    if element is None or element.text is None:
        return ""
    return element.text


def required(found: dict[str, etree._Element], name: str) -> etree._Element:
    """The child called `name`, or MalformedMessageError naming the schema element."""
    element = found.get(name)
    if element is None:
        raise MalformedMessageError(f"missing {name}")
    return element


def integer(element: etree._Element | None, name: str, default: int) -> int:
    """An integer such as `00` or ` 1 `; the default when the element is absent."""
    if element is None:
        return default
    try:
        return int(text(element))
    except ValueError:
        raise MalformedMessageError(f"{name} is not an integer") from None


def time(element: etree._Element | None) -> str | None:
    """An xsd:dateTime kept as sent; None when absent, empty or the Unknown Time (0001-01-01)."""
    value = text(element)
    return None if not value or value.startswith(UNKNOWN_TIME[:19]) else value


def boolean(element: etree._Element | None) -> bool:
    """An xsd:boolean, leniently: `1` and any case of `true` are true."""
    return text(element).lower() in ("1", "true")


def strings(element: etree._Element | None) -> tuple[str, ...]:
    """The stripped texts of the children of an array such as MethodList."""
    return () if element is None else tuple(text(child) for child in element)


def value_type(element: etree._Element) -> str:
    """The `xsi:type` of a Value with its prefix normalised to `xsd:`; xsd:string if none."""
    declared = element.get(XSI_TYPE)
    if declared is None:
        attributes = element.attrib.items()
        declared = next((str(v) for k, v in attributes if local(str(k)) == "type"), "")
    name = declared.strip().rpartition(":")[2]
    return f"xsd:{name}" if name else DEFAULT_TYPE


def parameter_values(element: etree._Element | None) -> tuple[ParameterValue, ...]:
    """A ParameterValueStruct array; a repeated Name keeps its first place and last value."""
    found: dict[str, ParameterValue] = {}
    for struct in () if element is None else element:
        parts = fields(struct)
        name = text(required(parts, "Name"))
        value = parts.get("Value")
        if value is None:
            found[name] = ParameterValue(name, "")
        else:
            found[name] = ParameterValue(name, raw_text(value), value_type(value))
    return tuple(found.values())


@functools.cache
def nsmap(namespace: str) -> dict[str, str]:
    """The prefixes of an emitted envelope, with `cwmp` bound to `namespace`."""
    return {
        "soap-env": SOAP_ENV_NS,
        "soap-enc": SOAP_ENC_NS,
        "xsd": XSD_NS,
        "xsi": XSI_NS,
        "cwmp": namespace,
    }


def add(parent: etree._Element, tag: str, value: str | None = None) -> etree._Element:
    """Append an unqualified child with optional text."""
    child = etree.SubElement(parent, tag)
    child.text = value
    return child


def add_array(parent: etree._Element, tag: str, item_type: str, count: int) -> etree._Element:
    """Append a SOAP-encoded array such as `cwmp:ParameterValueStruct[2]`."""
    return etree.SubElement(parent, tag, {ARRAY_TYPE: f"{item_type}[{count}]"})


def add_strings(parent: etree._Element, tag: str, values: tuple[str, ...]) -> None:
    """Append an `xsd:string[n]` array such as MethodList or AccessList."""
    array = add_array(parent, tag, "xsd:string", len(values))
    for value in values:
        add(array, "string", value)


def add_parameter_values(
    parent: etree._Element, tag: str, parameters: tuple[ParameterValue, ...]
) -> None:
    """Append a ParameterValueStruct array whose Values carry their `xsi:type`."""
    array = add_array(parent, tag, "cwmp:ParameterValueStruct", len(parameters))
    for parameter in parameters:
        struct = etree.SubElement(array, "ParameterValueStruct")
        add(struct, "Name", parameter.name)
        etree.SubElement(struct, "Value", {XSI_TYPE: parameter.type}).text = parameter.value
