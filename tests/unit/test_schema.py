"""Every message the ACS emits validates against the CWMP schema of its version, offline."""

from __future__ import annotations

import typing

import pytest
from lxml import etree

from acs.domain.codec import encode, wire_namespace
from acs.domain.messages import (
    AcsRequest,
    AcsResponse,
    AddObject,
    AddObjectResponse,
    AnyMessage,
    ArgStruct,
    AutonomousTransferComplete,
    AutonomousTransferCompleteResponse,
    CwmpVersion,
    DeleteObject,
    DeleteObjectResponse,
    DeviceIdStruct,
    Download,
    DownloadResponse,
    Envelope,
    EventStruct,
    FactoryReset,
    FactoryResetResponse,
    Fault,
    FaultCode,
    GetParameterAttributes,
    GetParameterAttributesResponse,
    GetParameterNames,
    GetParameterNamesResponse,
    GetParameterValues,
    GetParameterValuesResponse,
    GetRPCMethods,
    GetRPCMethodsResponse,
    Inform,
    InformResponse,
    Kicked,
    ParameterAttribute,
    ParameterInfo,
    ParameterValue,
    Reboot,
    RebootResponse,
    RequestDownload,
    RequestDownloadResponse,
    ScheduleInform,
    ScheduleInformResponse,
    SetParameterAttribute,
    SetParameterAttributes,
    SetParameterAttributesResponse,
    SetParameterValues,
    SetParameterValuesFault,
    SetParameterValuesResponse,
    TransferComplete,
    TransferCompleteResponse,
    Upload,
    UploadResponse,
)
from tests.support.schema import (
    SCHEMA_FILE,
    XSD_DIR,
    SchemaValidationError,
    cwmp_schema,
    declared_elements,
    envelope_schema,
    target_namespace,
    validate,
)

IGD = "InternetGatewayDevice."
PPP = f"{IGD}WANDevice.1.WANConnectionDevice.1.WANPPPConnection."
FILES = "https://files.example.net/cpe/202BC1-000000"

EMITTED: dict[str, AnyMessage] = {
    "InformResponse": InformResponse(max_envelopes=1),
    "TransferCompleteResponse": TransferCompleteResponse(),
    "AutonomousTransferCompleteResponse": AutonomousTransferCompleteResponse(),
    "RequestDownloadResponse": RequestDownloadResponse(),
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
    "GetParameterAttributes": GetParameterAttributes(
        (f"{IGD}DeviceInfo.SoftwareVersion", f"{IGD}ManagementServer.")
    ),
    "SetParameterAttributes": SetParameterAttributes(
        (
            SetParameterAttribute(f"{IGD}DeviceInfo.SoftwareVersion", True, 2, False),
            SetParameterAttribute(f"{IGD}LANDevice.1.", False, 0, True, ("Subscriber",)),
            SetParameterAttribute(f"{PPP}1.ExternalIPAddress", True, 1, True, ()),
        )
    ),
    "AddObject": AddObject(PPP, "task-43"),
    "DeleteObject": DeleteObject(f"{PPP}2.", "task-44"),
    "Reboot": Reboot(command_key="reboot-7"),
    "FactoryReset": FactoryReset(),
    "Download-firmware": Download(
        "dl-1",
        "1 Firmware Upgrade Image",
        f"{FILES}/BM632w-V100R001C00SPC130.bin",
        "cpe-202BC1",
        "s3cret&<pass>",
        8_388_608,
        "BM632w.bin",
        5,
        "https://portal.example.net/ok",
        "https://portal.example.net/failed",
    ),
    "Download-vendor-file-type": Download("dl-2", "X 00E0FC Voice Profile", f"{FILES}/voice.xml"),
    "Upload": Upload(
        "ul-1", "1 Vendor Configuration File", f"{FILES}/config.xml", "cpe", "s3cret", 30
    ),
    "ScheduleInform": ScheduleInform(3600, "si-1"),
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

CPE_SENT: dict[str, AnyMessage] = {
    "Inform": Inform(
        DeviceIdStruct("Huawei Technologies Co., Ltd.", "202BC1", "BM632w", "000000"),
        (EventStruct("1 BOOT"), EventStruct("M Reboot", "reboot-7")),
        1,
        "2024-05-01T12:00:00Z",
        0,
        (ParameterValue(f"{IGD}DeviceInfo.SoftwareVersion", "V100R001C00SPC130"),),
    ),
    "Inform-without-current-time": Inform(
        DeviceIdStruct("Huawei", "00E0FC", "HG253s", "HG253S0001"), (), 1, None, 2, ()
    ),
    "TransferComplete": TransferComplete("dl-1", 0, "", None, None),
    "AutonomousTransferComplete": AutonomousTransferComplete(
        "",
        f"{FILES}/BM632w-V100R001C00SPC130.bin",
        True,
        "1 Firmware Upgrade Image",
        8_388_608,
        "BM632w.bin",
        9010,
        "Download failed",
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:01:00Z",
    ),
    "RequestDownload": RequestDownload(
        "1 Firmware Upgrade Image", (ArgStruct("Version", "V100R001C00SPC130"),)
    ),
    "Kicked": Kicked("reboot", "https://portal.example.net/", "now", "https://portal.example.net/"),
    "GetParameterValuesResponse": GetParameterValuesResponse(
        (ParameterValue(f"{IGD}DeviceInfo.UpTime", "3600", "xsd:unsignedInt"),)
    ),
    "SetParameterValuesResponse": SetParameterValuesResponse(1),
    "GetParameterNamesResponse": GetParameterNamesResponse(
        (ParameterInfo(f"{IGD}DeviceInfo.", False), ParameterInfo(f"{IGD}X_ACME_Mode", True))
    ),
    "GetParameterAttributesResponse": GetParameterAttributesResponse(
        (
            ParameterAttribute(f"{IGD}DeviceInfo.SoftwareVersion", 2, ("Subscriber",)),
            ParameterAttribute(f"{IGD}DeviceInfo.UpTime", 0),
        )
    ),
    "SetParameterAttributesResponse": SetParameterAttributesResponse(),
    "AddObjectResponse": AddObjectResponse(3, 0),
    "DeleteObjectResponse": DeleteObjectResponse(1),
    "RebootResponse": RebootResponse(),
    "FactoryResetResponse": FactoryResetResponse(),
    "DownloadResponse-pending": DownloadResponse(1),
    "UploadResponse-done": UploadResponse(0, "2024-05-01T12:00:00Z", "2024-05-01T12:00:05Z"),
    "ScheduleInformResponse": ScheduleInformResponse(),
}
"""What a CPE sends; the ACS never encodes these, but the codec writes them schema-valid too."""

USE_VERSION_SCHEMAS = [v for v in CwmpVersion if "UseCWMPVersion" in declared_elements(v)]
"""The versions whose schema declares the UseCWMPVersion header (only CWMP 1.4)."""


def method_of(message: AnyMessage) -> str:
    """The schema element of a message: its method name."""
    return str(type(message).__struct_config__.tag)


def declared_cases(messages: dict[str, AnyMessage]) -> list[tuple[str, CwmpVersion]]:
    """Each message with each version whose schema declares its method."""
    return [
        (name, version)
        for name in sorted(messages)
        for version in CwmpVersion
        if method_of(messages[name]) in declared_elements(version)
    ]


def test_the_emitted_table_covers_every_acs_request_and_response_and_fault() -> None:
    expected = set(typing.get_args(AcsRequest)) | set(typing.get_args(AcsResponse)) | {Fault}
    assert {type(message) for message in EMITTED.values()} == expected


def test_the_two_tables_cover_every_message_type() -> None:
    messages = [*EMITTED.values(), *CPE_SENT.values()]
    assert {type(message) for message in messages} == set(typing.get_args(AnyMessage))


def test_only_the_autonomous_transfer_methods_are_missing_from_a_schema() -> None:
    missing = {
        (method_of(message), version)
        for message in [*EMITTED.values(), *CPE_SENT.values()]
        for version in CwmpVersion
        if method_of(message) not in declared_elements(version)
    }
    assert missing == {
        ("AutonomousTransferComplete", CwmpVersion.V1_0),
        ("AutonomousTransferCompleteResponse", CwmpVersion.V1_0),
    }
    assert USE_VERSION_SCHEMAS == [CwmpVersion.V1_4]


@pytest.mark.parametrize(("name", "version"), declared_cases(EMITTED))
def test_every_emitted_message_validates_against_the_schema_of_its_version(
    name: str, version: CwmpVersion
) -> None:
    validate(encode(Envelope(EMITTED[name], version, id="acs-1")), version)


@pytest.mark.parametrize("version", USE_VERSION_SCHEMAS, ids=lambda v: v.name)
@pytest.mark.parametrize("name", sorted(EMITTED))
def test_every_emitted_message_validates_with_use_cwmp_version(
    name: str, version: CwmpVersion
) -> None:
    envelope = Envelope(EMITTED[name], version, id="acs-1", use_version="1.4")
    data = encode(envelope)
    assert b'<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">1.4</cwmp:UseCWMPVersion>' in data
    validate(data, version)


@pytest.mark.parametrize(("name", "version"), declared_cases(CPE_SENT))
def test_every_message_a_cpe_sends_encodes_schema_valid_too(
    name: str, version: CwmpVersion
) -> None:
    validate(encode(Envelope(CPE_SENT[name], version, id="cpe-1")), version)


def test_an_inform_with_supported_cwmp_versions_validates_against_cwmp_1_4() -> None:
    envelope = Envelope(
        CPE_SENT["Inform"], CwmpVersion.V1_4, id="1", supported_versions="1.0,1.1,1.2,1.3,1.4"
    )
    validate(encode(envelope), CwmpVersion.V1_4)


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


def test_use_cwmp_version_is_rejected_by_a_schema_that_does_not_declare_it() -> None:
    data = encode(Envelope(Reboot("k"), CwmpVersion.V1_2, id="1", use_version="1.4"))
    with pytest.raises(SchemaValidationError, match="UseCWMPVersion"):
        validate(data, CwmpVersion.V1_2)


def test_a_lowercase_access_list_value_is_rejected() -> None:
    message = SetParameterAttributes(
        (SetParameterAttribute("A.", False, 0, True, ("subscriber",)),)
    )
    with pytest.raises(SchemaValidationError, match="subscriber"):
        validate(encode(Envelope(message, CwmpVersion.V1_0)), CwmpVersion.V1_0)


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
