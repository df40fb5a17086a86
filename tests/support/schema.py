"""Validate emitted CWMP envelopes against the Broadband Forum and SOAP 1.1 schemas, offline."""

from __future__ import annotations

import functools
from pathlib import Path

from lxml import etree

from acs.domain.messages import CwmpVersion

XSD_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "xsd"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XS_NS = "http://www.w3.org/2001/XMLSchema"

SCHEMA_FILE = {
    CwmpVersion.V1_0: "cwmp-1-0.xsd",
    CwmpVersion.V1_1: "cwmp-1-1.xsd",
    CwmpVersion.V1_2: "cwmp-1-2.xsd",
    CwmpVersion.V1_3: "cwmp-1-3.xsd",
    CwmpVersion.V1_4: "cwmp-1-4.xsd",
}
"""The schema each CWMP version is validated against."""

_LOCATIONS = {
    "http://schemas.xmlsoap.org/soap/envelope/": "soap-envelope.xsd",
    "http://schemas.xmlsoap.org/soap/encoding/": "soap-encoding.xsd",
    **{f"http://www.broadband-forum.org/cwmp/{name}": name for name in SCHEMA_FILE.values()},
}
"""Every remote schema location the schemas name, mapped to its local copy."""


class SchemaValidationError(AssertionError):
    """An emitted document breaks the schema; the message lists libxml2's complaints."""


class _LocalSchemas(etree.Resolver):
    """Serve the schemas' remote imports from tests/fixtures/xsd, and refuse anything else."""

    def resolve(self, system_url, public_id, context):
        name = _LOCATIONS.get(system_url)
        if name is None:
            raise LookupError(f"schema import not available offline: {system_url}")
        return self.resolve_filename(str(XSD_DIR / name), context)


def _parser() -> etree.XMLParser:
    """A parser that resolves schema imports locally and never touches the network."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemas())
    return parser


def target_namespace(version: CwmpVersion) -> str:
    """The targetNamespace declared by the schema file of a version."""
    root = etree.parse(str(XSD_DIR / SCHEMA_FILE[version])).getroot()
    return root.get("targetNamespace")


@functools.cache
def declared_elements(version: CwmpVersion) -> frozenset[str]:
    """The global elements (methods, header entries) of a version's schema and its includes."""
    return frozenset(_declared_in(SCHEMA_FILE[version]))


def _declared_in(name: str) -> set[str]:
    """The global element names of one schema file and of the files it includes."""
    root = etree.parse(str(XSD_DIR / name)).getroot()
    found = {element.get("name") for element in root.iterfind(f"{{{XS_NS}}}element")}
    for tag in ("include", "redefine"):
        for reference in root.iterfind(f"{{{XS_NS}}}{tag}"):
            found |= _declared_in(_LOCATIONS[reference.get("schemaLocation")])
    return found


@functools.cache
def cwmp_schema(version: CwmpVersion) -> etree.XMLSchema:
    """The CWMP schema of a version (with its SOAP imports), for validating one cwmp element."""
    url = f"http://www.broadband-forum.org/cwmp/{SCHEMA_FILE[version]}"
    return etree.XMLSchema(etree.parse(url, _parser()))


@functools.cache
def envelope_schema(version: CwmpVersion) -> etree.XMLSchema:
    """The strict SOAP 1.1 envelope schema together with the CWMP schema of a version."""
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="{SOAP_ENV_NS}" schemaLocation="{SOAP_ENV_NS}"/>
      <xs:import namespace="{target_namespace(version)}"
                 schemaLocation="http://www.broadband-forum.org/cwmp/{SCHEMA_FILE[version]}"/>
    </xs:schema>"""
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), _parser()))


def validate(xml_bytes: bytes, version: CwmpVersion) -> None:
    """Raise SchemaValidationError unless the envelope and every cwmp element in it are valid.

    The SOAP schema checks Header and Body content only laxly (an undeclared element passes),
    so each cwmp element under Header, Body and Fault/detail is also validated on its own as
    the root of a document, where an undeclared element is an error.
    """
    document = etree.fromstring(xml_bytes)
    _check(envelope_schema(version), document)
    namespace = target_namespace(version)
    for element in _cwmp_candidates(document):
        if etree.QName(element).namespace != namespace:
            raise SchemaValidationError(f"{element.tag} is not in {namespace}")
        _check(cwmp_schema(version), etree.fromstring(etree.tostring(element)))


def _cwmp_candidates(document: etree._Element) -> list[etree._Element]:
    """The header entries, the body entry, and the cwmp fault inside a SOAP Fault."""
    found: list[etree._Element] = []
    for part in document:
        found.extend(child for child in part if etree.QName(child).namespace != SOAP_ENV_NS)
    found.extend(document.iterfind(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault/detail/*"))
    return found


def _check(schema: etree.XMLSchema, document: etree._Element) -> None:
    """Raise SchemaValidationError with the schema's error log when the document is invalid."""
    if not schema.validate(document):
        errors = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise SchemaValidationError(errors)
