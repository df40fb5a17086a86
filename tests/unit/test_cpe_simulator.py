"""The CPE simulator's pure parts: its Inform, its answers to ACS requests and its reboots."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from tests.support.cpe import SimulatedCpe, SimulatorError, genieacs_device_id

ACS_URL = "http://127.0.0.1:7547/"
XSD_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "xsd"
CWMP_1_2 = "urn:dslforum-org:cwmp-1-2"
NS = {
    "soap-env": "http://schemas.xmlsoap.org/soap/envelope/",
    "soap-enc": "http://schemas.xmlsoap.org/soap/encoding/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "cwmp": "urn:dslforum-org:cwmp-1-0",
}
MS = "InternetGatewayDevice.ManagementServer."
INTERVAL = MS + "PeriodicInformInterval"
SOFTWARE_VERSION = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
EXTERNAL_IP = (
    "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress"
)


def acs_request(body: str, cwmp: str = NS["cwmp"]) -> bytes:
    """An ACS request with other prefixes than the simulator's, as a real ACS may use."""
    return (
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' xmlns:c="{cwmp}">\n  <SOAP-ENV:Header>'
        '<c:ID SOAP-ENV:mustUnderstand="1">acs-7</c:ID></SOAP-ENV:Header>\n'
        f"  <SOAP-ENV:Body>\n    {body}\n  </SOAP-ENV:Body>\n</SOAP-ENV:Envelope>"
    ).encode()


def gpv(*names: str) -> bytes:
    """A GetParameterValues request."""
    strings = "".join(f"<string>{name}</string>" for name in names)
    return acs_request(
        f"<c:GetParameterValues><ParameterNames>{strings}</ParameterNames></c:GetParameterValues>"
    )


def spv(values: dict[str, tuple[str, str]], key: str = "key-1") -> bytes:
    """A SetParameterValues request of name -> (value, xsd type)."""
    structs = "".join(
        f'<ParameterValueStruct><Name>{name}</Name><Value xsi:type="{kind}">{value}</Value>'
        "</ParameterValueStruct>"
        for name, (value, kind) in values.items()
    )
    return acs_request(
        f"<c:SetParameterValues><ParameterList>{structs}</ParameterList>"
        f"<ParameterKey>{key}</ParameterKey></c:SetParameterValues>"
    )


def gpn(path: str, *, next_level: bool) -> bytes:
    """A GetParameterNames request."""
    level = "true" if next_level else "false"
    return acs_request(
        f"<c:GetParameterNames><ParameterPath>{path}</ParameterPath>"
        f"<NextLevel>{level}</NextLevel></c:GetParameterNames>"
    )


REBOOT = acs_request("<c:Reboot><CommandKey>reboot-42</CommandKey></c:Reboot>")
FACTORY_RESET = acs_request("<c:FactoryReset/>")
INFORM_RESPONSE = acs_request("<c:InformResponse><MaxEnvelopes>1</MaxEnvelopes></c:InformResponse>")


def parse(xml: bytes) -> etree._Element:
    """Parse the simulator's output strictly."""
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))


def texts(root: etree._Element, path: str) -> list[str]:
    """The texts of the elements at an XPath."""
    return [element.text or "" for element in root.xpath(path, namespaces=NS)]


def parameter_values(xml: bytes) -> dict[str, tuple[str, str]]:
    """The ParameterValueStructs of an Inform or a GetParameterValuesResponse."""
    return {
        struct.findtext("Name"): (
            struct.findtext("Value"),
            struct.find("Value").get(f"{{{NS['xsi']}}}type"),
        )
        for struct in parse(xml).iterfind(".//ParameterValueStruct")
    }


def fault_of(xml: bytes) -> tuple[int, list[tuple[str, int]]]:
    """The cwmp:Fault code and SetParameterValuesFault entries of a CPE fault response."""
    fault = parse(xml).find("soap-env:Body/soap-env:Fault/detail/cwmp:Fault", NS)
    assert fault is not None
    entries = [
        (entry.findtext("ParameterName"), int(entry.findtext("FaultCode")))
        for entry in fault.iterfind("SetParameterValuesFault")
    ]
    return int(fault.findtext("FaultCode")), entries


def finish_session(cpe: SimulatedCpe) -> list[str]:
    """Deliver the next Inform, end the session; the events that Inform carried."""
    events = cpe.next_events()
    cpe.build_inform(events)
    cpe.accept_inform_response(INFORM_RESPONSE, events)
    cpe.end_session()
    return events


class _LocalSchemas(etree.Resolver):
    """Resolve the SOAP schemas the CWMP schemas import by URL to the local copies."""

    FILES = {
        "http://schemas.xmlsoap.org/soap/envelope/": "soap-envelope.xsd",
        "http://schemas.xmlsoap.org/soap/encoding/": "soap-encoding.xsd",
    }

    def resolve(self, system_url, public_id, context):
        """A local file for a known schema URL."""
        name = self.FILES.get(system_url)
        return None if name is None else self.resolve_filename(str(XSD_DIR / name), context)


def cwmp_schema(filename: str) -> etree.XMLSchema:
    """A CWMP schema, with the SOAP schemas it imports, that never touches the network."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(XSD_DIR / filename), parser))


@pytest.fixture
def cpe() -> SimulatedCpe:
    """A fresh simulated gateway."""
    return SimulatedCpe(ACS_URL)


def test_first_inform_announces_bootstrap_and_boot_with_the_device_id(cpe: SimulatedCpe) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    root = parse(cpe.build_inform(cpe.next_events(), cwmp_id="cpe-1", now=now))

    assert texts(root, "soap-env:Header/cwmp:ID") == ["cpe-1"]
    assert (
        root.find("soap-env:Header/cwmp:ID", NS).get(f"{{{NS['soap-env']}}}mustUnderstand") == "1"
    )
    inform = root.find("soap-env:Body/cwmp:Inform", NS)
    assert [element.text for element in inform.find("DeviceId")] == [
        "Huawei Technologies Co., Ltd.",
        "202BC1",
        "BM632w",
        "SIM000001",
    ]
    assert texts(inform, "Event/EventStruct/EventCode") == ["0 BOOTSTRAP", "1 BOOT"]
    assert texts(inform, "Event/EventStruct/CommandKey") == ["", ""]
    assert inform.find("Event").get(f"{{{NS['soap-enc']}}}arrayType") == "cwmp:EventStruct[2]"
    assert texts(inform, "MaxEnvelopes | RetryCount") == ["1", "0"]
    assert inform.findtext("CurrentTime") == "2026-01-02T03:04:05.600Z"


def test_inform_carries_the_forced_parameters_with_their_types(cpe: SimulatedCpe) -> None:
    inform = cpe.build_inform(["2 PERIODIC"])

    values = parameter_values(inform)
    assert list(values) == [
        "InternetGatewayDevice.DeviceSummary",
        "InternetGatewayDevice.DeviceInfo.SpecVersion",
        "InternetGatewayDevice.DeviceInfo.HardwareVersion",
        SOFTWARE_VERSION,
        "InternetGatewayDevice.DeviceInfo.ProvisioningCode",
        MS + "ParameterKey",
        MS + "ConnectionRequestURL",
        INTERVAL,
        EXTERNAL_IP,
    ]
    assert values[INTERVAL] == ("300", "xsd:unsignedInt")
    assert values[SOFTWARE_VERSION] == ("V100R001IRQC56B017", "xsd:string")
    assert values[EXTERNAL_IP] == ("172.3.89.139", "xsd:string")
    list_type = parse(inform).find(".//ParameterList").get(f"{{{NS['soap-enc']}}}arrayType")
    assert list_type == "cwmp:ParameterValueStruct[9]"


def test_identity_overrides_and_namespace_are_configurable() -> None:
    cpe = SimulatedCpe(
        ACS_URL,
        serial="X-1",
        oui="00D09E",
        product_class="HG8245",
        cwmp_namespace=CWMP_1_2,
        overrides={SOFTWARE_VERSION: "V2", "InternetGatewayDevice.X_SIM.Extra": "yes"},
    )

    root = parse(cpe.build_inform(["1 BOOT"]))
    assert texts(root, "//DeviceId/*") == [
        "Huawei Technologies Co., Ltd.",
        "00D09E",
        "HG8245",
        "X-1",
    ]
    assert root.find(f"soap-env:Body/{{{CWMP_1_2}}}Inform", NS) is not None
    assert cpe.values[SOFTWARE_VERSION] == ("V2", "xsd:string")
    assert cpe.values["InternetGatewayDevice.DeviceInfo.SerialNumber"][0] == "X-1"
    assert cpe.values["InternetGatewayDevice.X_SIM.Extra"] == ("yes", "xsd:string")
    assert cpe.device_id == "00D09E-HG8245-X%2D1"


@pytest.mark.parametrize(
    ("oui", "product_class", "serial", "expected"),
    [
        ("202BC1", "BM632w", "AB-12 3", "202BC1-BM632w-AB%2D12%203"),
        ("202BC1", "", "AB-12 3", "202BC1-AB%2D12%203"),
        ("00259E", "HG 8245.H", "48575443_é", "00259E-HG%208245%2EH-48575443_%C3%A9"),
    ],
)
def test_device_id_percent_encodes_like_genieacs(
    oui: str, product_class: str, serial: str, expected: str
) -> None:
    assert genieacs_device_id(oui, product_class, serial) == expected
    assert (
        SimulatedCpe(ACS_URL, oui=oui, product_class=product_class, serial=serial).device_id
        == expected
    )


def test_partial_path_returns_every_parameter_under_it(cpe: SimulatedCpe) -> None:
    response = cpe.answer(gpv(MS, SOFTWARE_VERSION))

    values = parameter_values(response)
    expected = [name for name in cpe.values if name.startswith(MS)] + [SOFTWARE_VERSION]
    assert list(values) == expected
    assert len(expected) > 10
    assert values[INTERVAL] == ("300", "xsd:unsignedInt")
    assert texts(parse(response), "soap-env:Header/cwmp:ID") == ["acs-7"]


def test_unknown_parameter_name_is_fault_9005(cpe: SimulatedCpe) -> None:
    assert fault_of(cpe.answer(gpv("InternetGatewayDevice.NoSuchThing"))) == (9005, [])
    assert fault_of(cpe.answer(gpv("InternetGatewayDevice.NoSuchObject."))) == (9005, [])


def test_set_parameter_values_changes_values_and_parameter_key(cpe: SimulatedCpe) -> None:
    response = cpe.answer(spv({INTERVAL: ("60", "xsd:unsignedInt")}, key="job-9"))

    assert texts(parse(response), "soap-env:Body/cwmp:SetParameterValuesResponse/Status") == ["0"]
    assert cpe.values[INTERVAL] == ("60", "xsd:unsignedInt")
    assert cpe.values[MS + "ParameterKey"] == ("job-9", "xsd:string")
    assert parameter_values(cpe.answer(gpv(INTERVAL))) == {INTERVAL: ("60", "xsd:unsignedInt")}


def test_setting_a_read_only_parameter_is_fault_9003_with_9008_and_sets_nothing(
    cpe: SimulatedCpe,
) -> None:
    request = spv({INTERVAL: ("60", "xsd:unsignedInt"), SOFTWARE_VERSION: ("V9", "xsd:string")})

    assert fault_of(cpe.answer(request)) == (9003, [(SOFTWARE_VERSION, 9008)])
    assert cpe.values[INTERVAL] == ("300", "xsd:unsignedInt")
    assert cpe.values[MS + "ParameterKey"] == ("", "xsd:string")


def test_setting_an_invalid_or_unknown_parameter_is_reported_per_parameter(
    cpe: SimulatedCpe,
) -> None:
    request = spv(
        {INTERVAL: ("-5", "xsd:unsignedInt"), "InternetGatewayDevice.Nope": ("1", "xsd:int")}
    )

    assert fault_of(cpe.answer(request)) == (
        9003,
        [(INTERVAL, 9007), ("InternetGatewayDevice.Nope", 9005)],
    )


def test_get_parameter_names_lists_the_next_level_or_the_subtree(cpe: SimulatedCpe) -> None:
    def names(xml: bytes) -> dict[str, str]:
        structs = parse(xml).iterfind(".//ParameterInfoStruct")
        return {struct.findtext("Name"): struct.findtext("Writable") for struct in structs}

    assert names(cpe.answer(gpn("", next_level=True))) == {"InternetGatewayDevice.": "0"}
    top = names(cpe.answer(gpn("InternetGatewayDevice.", next_level=True)))
    assert top["InternetGatewayDevice.ManagementServer."] == "0"
    assert top["InternetGatewayDevice.DeviceSummary"] == "0"
    assert all(name.removesuffix(".").count(".") == 1 for name in top)
    subtree = names(cpe.answer(gpn(MS, next_level=False)))
    assert next(iter(subtree)) == MS
    assert subtree[INTERVAL] == "1"
    assert fault_of(cpe.answer(gpn(INTERVAL, next_level=True))) == (9003, [])


def test_rpc_methods_and_unsupported_methods(cpe: SimulatedCpe) -> None:
    methods = texts(parse(cpe.answer(acs_request("<c:GetRPCMethods/>"))), "//MethodList/string")

    assert {"GetParameterValues", "SetParameterValues", "Reboot", "FactoryReset"} <= set(methods)
    assert fault_of(cpe.answer(acs_request("<c:Download/>"))) == (9000, [])


def test_reboot_makes_the_next_session_boot_with_the_command_key(cpe: SimulatedCpe) -> None:
    assert finish_session(cpe) == ["0 BOOTSTRAP", "1 BOOT"]
    assert finish_session(cpe) == ["2 PERIODIC"]

    response = cpe.answer(REBOOT)
    assert parse(response).find("soap-env:Body/cwmp:RebootResponse", NS) is not None
    assert cpe.next_events() == ["2 PERIODIC"]
    cpe.end_session()

    events = cpe.next_events()
    assert events == ["1 BOOT", "M Reboot"]
    inform = parse(cpe.build_inform(events))
    assert texts(inform, "//EventStruct/CommandKey") == ["", "reboot-42"]
    assert finish_session(cpe) == ["1 BOOT", "M Reboot"]
    assert cpe.next_events() == ["2 PERIODIC"]


def test_factory_reset_restores_the_defaults_and_bootstraps_again(cpe: SimulatedCpe) -> None:
    finish_session(cpe)
    cpe.answer(spv({INTERVAL: ("60", "xsd:unsignedInt")}))
    cpe.answer(FACTORY_RESET)
    assert cpe.values[INTERVAL][0] == "60"

    cpe.end_session()

    assert cpe.values[INTERVAL] == ("300", "xsd:unsignedInt")
    assert cpe.values[MS + "ParameterKey"] == ("", "xsd:string")
    assert cpe.next_events() == ["0 BOOTSTRAP", "1 BOOT"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<not xml", "unparseable"),
        (acs_request("<c:GetRPCMethodsResponse/>"), "expected an InformResponse"),
        (
            acs_request(
                "<SOAP-ENV:Fault><faultcode>Server</faultcode><faultstring>CWMP fault</faultstring>"
                "<detail><c:Fault><FaultCode>8005</FaultCode>"
                "<FaultString>Retry request</FaultString></c:Fault></detail></SOAP-ENV:Fault>"
            ),
            "SOAP Fault 8005 Retry request",
        ),
    ],
)
def test_a_misbehaving_acs_raises_simulator_error(
    cpe: SimulatedCpe, body: bytes, message: str
) -> None:
    with pytest.raises(SimulatorError, match=message):
        cpe.accept_inform_response(body, ["1 BOOT"])
    assert not cpe.bootstrapped


def test_an_acs_fault_or_response_in_place_of_a_request_raises(cpe: SimulatedCpe) -> None:
    with pytest.raises(SimulatorError, match="expected an ACS request"):
        cpe.answer(INFORM_RESPONSE)


def test_messages_from_a_cwmp_1_2_acs_are_read_by_local_name(cpe: SimulatedCpe) -> None:
    response = cpe.answer(acs_request("<c:Reboot><CommandKey>k</CommandKey></c:Reboot>", CWMP_1_2))

    assert parse(response).find("soap-env:Body/cwmp:RebootResponse", NS) is not None


def test_only_loopback_acs_urls_are_accepted() -> None:
    SimulatedCpe("http://localhost:7547/")
    SimulatedCpe("http://[::1]:7547/")
    with pytest.raises(ValueError, match="loopback"):
        SimulatedCpe("http://192.0.2.1:7547/")


@pytest.mark.parametrize(
    ("namespace", "schema"), [(NS["cwmp"], "cwmp-1-0.xsd"), (CWMP_1_2, "cwmp-1-2.xsd")]
)
def test_every_message_the_simulator_sends_is_schema_valid(namespace: str, schema: str) -> None:
    cpe = SimulatedCpe(ACS_URL, cwmp_namespace=namespace)
    messages = [
        cpe.build_inform(cpe.next_events()),
        cpe.answer(gpv(MS)),
        cpe.answer(gpv("InternetGatewayDevice.Nope")),
        cpe.answer(spv({INTERVAL: ("60", "xsd:unsignedInt")})),
        cpe.answer(spv({SOFTWARE_VERSION: ("V9", "xsd:string")})),
        cpe.answer(gpn(MS, next_level=True)),
        cpe.answer(acs_request("<c:GetRPCMethods/>")),
        cpe.answer(REBOOT),
        cpe.answer(FACTORY_RESET),
    ]
    validator = cwmp_schema(schema)

    for message in messages:
        validator.assertValid(parse(message))
