"""Every message the ACS emits validates against the CWMP schema of its version, offline."""

from __future__ import annotations

import pytest
from lxml import etree

from acs.domain.codec import encode, wire_namespace
from acs.domain.messages import (
    AnyMessage,
    CwmpVersion,
    Envelope,
    FactoryReset,
    Fault,
    FaultCode,
    GetParameterNames,
    GetParameterValues,
    GetRPCMethods,
    GetRPCMethodsResponse,
    InformResponse,
    ParameterValue,
    Reboot,
    SetParameterValues,
    SetParameterValuesFault,
    TransferCompleteResponse,
)
from tests.support.schema import (
    SCHEMA_FILE,
    XSD_DIR,
    SchemaValidationError,
    cwmp_schema,
    envelope_schema,
    target_namespace,
    validate,
)

IGD = "InternetGatewayDevice."

EMITTED: dict[str, AnyMessage] = {
    "InformResponse": InformResponse(max_envelopes=1),
    "TransferCompleteResponse": TransferCompleteResponse(),
    "GetRPCMethodsResponse": GetRPCMethodsResponse(
        ("Inform", "GetRPCMethods", "TransferComplete", "AutonomousTransferComplete")
    ),
    "GetParameterValues": GetParameterValues(
        (f"{IGD}DeviceInfo.SoftwareVersion", f"{IGD}ManagementServer.", f"{IGD}LANDevice.1.")
    ),
    "SetParameterValues": SetParameterValues(
        (
            ParameterValue(
                f"{IGD}ManagementServer.PeriodicInformInterval", "300", "xsd:unsignedInt"
            ),
            ParameterValue(f"{IGD}ManagementServer.PeriodicInformEnable", "true", "xsd:boolean"),
            ParameterValue(
                f"{IGD}ManagementServer.PeriodicInformTime", "2024-01-01T00:00:00Z", "xsd:dateTime"
            ),
            ParameterValue(f"{IGD}LANDevice.1.WLANConfiguration.1.SSID", "Café <guest> & co"),
            ParameterValue(f"{IGD}X_ACME_Offset", "-5", "xsd:int"),
        ),
        parameter_key="task-42",
    ),
    "GetParameterNames-next-level": GetParameterNames(f"{IGD}LANDevice.", next_level=True),
    "GetParameterNames-subtree": GetParameterNames("", next_level=False),
    "Reboot": Reboot(command_key="reboot-7"),
    "FactoryReset": FactoryReset(),
    "GetRPCMethods": GetRPCMethods(),
    "Fault-method-not-supported": Fault(FaultCode.METHOD_NOT_SUPPORTED, "Method not supported"),
    "Fault-retry-request": Fault(FaultCode.RETRY_REQUEST, "Retry request", faultcode="Server"),
    "Fault-with-parameter-faults": Fault(
        FaultCode.CPE_INVALID_ARGUMENTS,
        "Invalid arguments",
        (
            SetParameterValuesFault(f"{IGD}X.Y", FaultCode.INVALID_PARAMETER_VALUE, "bad value"),
            SetParameterValuesFault(f"{IGD}X.Z", FaultCode.NON_WRITABLE_PARAMETER),
        ),
    ),
}
"""What the ACS sends: its answers to CPE requests, its own RPCs, and faults."""


@pytest.mark.parametrize("version", list(CwmpVersion), ids=lambda v: v.name)
@pytest.mark.parametrize("name", sorted(EMITTED))
def test_every_emitted_message_validates_against_the_schema_of_its_version(
    name: str, version: CwmpVersion
) -> None:
    validate(encode(Envelope(EMITTED[name], version, id="acs-1")), version)


@pytest.mark.parametrize("version", list(CwmpVersion), ids=lambda v: v.name)
def test_an_envelope_with_hold_requests_and_no_id_validates(version: CwmpVersion) -> None:
    envelope = Envelope(GetParameterValues((f"{IGD}DeviceInfo.",)), version, hold_requests=True)
    validate(encode(envelope), version)


@pytest.mark.parametrize("version", list(CwmpVersion), ids=lambda v: v.name)
def test_an_envelope_without_a_header_validates(version: CwmpVersion) -> None:
    validate(encode(Envelope(InformResponse(), version)), version)


def test_cwmp_1_3_and_1_4_schemas_keep_the_cwmp_1_2_target_namespace() -> None:
    assert {target_namespace(v) for v in CwmpVersion} == {
        "urn:dslforum-org:cwmp-1-0",
        "urn:dslforum-org:cwmp-1-1",
        "urn:dslforum-org:cwmp-1-2",
    }
    for version in CwmpVersion:
        assert wire_namespace(version) == target_namespace(version)


# --- the validator can fail --------------------------------------------------


def test_a_message_in_another_versions_namespace_is_rejected() -> None:
    data = encode(Envelope(Reboot("k"), CwmpVersion.V1_0, id="1"))
    with pytest.raises(SchemaValidationError, match="is not in urn:dslforum-org:cwmp-1-1"):
        validate(data, CwmpVersion.V1_1)


def test_the_literal_cwmp_1_3_namespace_is_rejected_by_the_1_3_schema() -> None:
    data = encode(Envelope(Reboot("k"), CwmpVersion.V1_3, id="1"))
    data = data.replace(b"urn:dslforum-org:cwmp-1-2", b"urn:dslforum-org:cwmp-1-3")
    with pytest.raises(SchemaValidationError):
        validate(data, CwmpVersion.V1_3)


def test_an_undeclared_cwmp_element_is_rejected_although_soap_checks_the_body_laxly() -> None:
    data = encode(Envelope(Reboot("k"), CwmpVersion.V1_0)).replace(b"Reboot", b"Rebooot")
    envelope_schema(CwmpVersion.V1_0).assertValid(etree.fromstring(data))
    with pytest.raises(SchemaValidationError, match="Rebooot"):
        validate(data, CwmpVersion.V1_0)


def test_a_message_missing_a_required_argument_is_rejected() -> None:
    data = encode(Envelope(GetParameterNames("A.", True), CwmpVersion.V1_2))
    data = data.replace(b"<NextLevel>1</NextLevel>", b"")
    with pytest.raises(SchemaValidationError, match="NextLevel"):
        validate(data, CwmpVersion.V1_2)


def test_a_fault_code_outside_the_schema_is_rejected_inside_the_soap_detail() -> None:
    data = encode(Envelope(Fault(1234, "nonsense"), CwmpVersion.V1_0, id="1"))
    with pytest.raises(SchemaValidationError, match="FaultCode"):
        validate(data, CwmpVersion.V1_0)


def test_a_header_without_must_understand_is_rejected() -> None:
    data = encode(Envelope(Reboot("k"), CwmpVersion.V1_0, id="1"))
    data = data.replace(b' soap-env:mustUnderstand="1"', b"")
    with pytest.raises(SchemaValidationError, match="mustUnderstand"):
        validate(data, CwmpVersion.V1_0)


def test_encoding_style_on_the_envelope_fails_the_strict_soap_schema() -> None:
    data = encode(Envelope(Reboot("k"), CwmpVersion.V1_0, id="1")).replace(
        b"<soap-env:Envelope ",
        b'<soap-env:Envelope soap-env:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" ',
    )
    with pytest.raises(SchemaValidationError, match="encodingStyle"):
        validate(data, CwmpVersion.V1_0)


def test_schema_imports_are_served_from_the_local_copies() -> None:
    assert {path.name for path in XSD_DIR.glob("cwmp-*.xsd")} == set(SCHEMA_FILE.values())
    for version in CwmpVersion:
        assert envelope_schema(version) is envelope_schema(version)


def test_the_1_4_schema_is_loaded_through_its_includes_and_redefinitions() -> None:
    use_version = etree.fromstring(
        b'<cwmp:UseCWMPVersion xmlns:cwmp="urn:dslforum-org:cwmp-1-2"'
        b' xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"'
        b' soap-env:mustUnderstand="1">1.4</cwmp:UseCWMPVersion>'
    )
    assert cwmp_schema(CwmpVersion.V1_4).validate(use_version)
    assert not cwmp_schema(CwmpVersion.V1_2).validate(use_version)
    reboot = etree.fromstring(encode(Envelope(Reboot("k"), CwmpVersion.V1_4)))[0][0]
    assert cwmp_schema(CwmpVersion.V1_4).validate(etree.fromstring(etree.tostring(reboot)))
