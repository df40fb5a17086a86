"""The CPE simulator: its Inform, its answers to every ACS request, its transfers, its requests
to the ACS, its protocol options (against a scripted ACS) and its connection request server."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.support.connection_request_server import ConnectionRequestServer
from tests.support.cpe import (
    AutonomousTransferComplete,
    GetRPCMethods,
    Kicked,
    RequestDownload,
    SimulatedCpe,
    SimulatorError,
    genieacs_device_id,
)
from tests.support.digest_auth import DigestAuthenticator, digest_response, parse_authorization

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
        **{
            f"http://www.broadband-forum.org/cwmp/cwmp-1-{minor}.xsd": f"cwmp-1-{minor}.xsd"
            for minor in range(5)
        },
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

    assert set(methods) == {
        "GetRPCMethods",
        "GetParameterNames",
        "GetParameterValues",
        "SetParameterValues",
        "GetParameterAttributes",
        "SetParameterAttributes",
        "AddObject",
        "DeleteObject",
        "Reboot",
        "Download",
        "Upload",
        "FactoryReset",
        "ScheduleInform",
    }
    assert fault_of(cpe.answer(acs_request("<c:ScheduleDownload/>"))) == (9000, [])
    assert fault_of(cpe.answer(acs_request("<c:Download/>"))) == (9003, [])


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


# --- Attributes, objects, transfers, scheduled informs --------------------------------------

WLAN = "InternetGatewayDevice.LANDevice.1.WLANConfiguration."
PORT_MAPPING = (
    "InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.PortMapping."
)
FIRMWARE = "1 Firmware Upgrade Image"


def gpa(*names: str) -> bytes:
    """A GetParameterAttributes request."""
    strings = "".join(f"<string>{name}</string>" for name in names)
    return acs_request(
        f"<c:GetParameterAttributes><ParameterNames>{strings}</ParameterNames>"
        "</c:GetParameterAttributes>"
    )


def spa(*structs: tuple[str, int | None, list[str] | None]) -> bytes:
    """A SetParameterAttributes request of (name, Notification or None, AccessList or None)."""
    body = ""
    for name, notification, access in structs:
        strings = "".join(f"<string>{entity}</string>" for entity in access or [])
        body += (
            f"<SetParameterAttributesStruct><Name>{name}</Name>"
            f"<NotificationChange>{int(notification is not None)}</NotificationChange>"
            f"<Notification>{notification or 0}</Notification>"
            f"<AccessListChange>{int(access is not None)}</AccessListChange>"
            f"<AccessList>{strings}</AccessList></SetParameterAttributesStruct>"
        )
    return acs_request(
        f"<c:SetParameterAttributes><ParameterList>{body}</ParameterList>"
        "</c:SetParameterAttributes>"
    )


def add_object(name: str, key: str = "add-1") -> bytes:
    """An AddObject request."""
    return acs_request(
        f"<c:AddObject><ObjectName>{name}</ObjectName><ParameterKey>{key}</ParameterKey>"
        "</c:AddObject>"
    )


def delete_object(name: str, key: str = "del-1") -> bytes:
    """A DeleteObject request."""
    return acs_request(
        f"<c:DeleteObject><ObjectName>{name}</ObjectName><ParameterKey>{key}</ParameterKey>"
        "</c:DeleteObject>"
    )


def download(
    url: str, file_type: str = FIRMWARE, key: str = "dl-1", username: str = "", password: str = ""
) -> bytes:
    """A Download request."""
    return acs_request(
        f"<c:Download><CommandKey>{key}</CommandKey><FileType>{file_type}</FileType>"
        f"<URL>{url}</URL><Username>{username}</Username><Password>{password}</Password>"
        "<FileSize>3</FileSize><TargetFileName>fw.bin</TargetFileName>"
        "<DelaySeconds>0</DelaySeconds><SuccessURL></SuccessURL><FailureURL></FailureURL>"
        "</c:Download>"
    )


def upload(url: str, file_type: str, key: str = "up-1", username: str = "") -> bytes:
    """An Upload request."""
    password = "pw" if username else ""
    return acs_request(
        f"<c:Upload><CommandKey>{key}</CommandKey><FileType>{file_type}</FileType>"
        f"<URL>{url}</URL><Username>{username}</Username><Password>{password}</Password>"
        "<DelaySeconds>0</DelaySeconds></c:Upload>"
    )


def schedule_inform(delay: int, key: str = "sched-1") -> bytes:
    """A ScheduleInform request."""
    return acs_request(
        f"<c:ScheduleInform><DelaySeconds>{delay}</DelaySeconds>"
        f"<CommandKey>{key}</CommandKey></c:ScheduleInform>"
    )


def attributes_of(xml: bytes) -> dict[str, tuple[int, list[str]]]:
    """The ParameterAttributeStructs of a GetParameterAttributesResponse."""
    return {
        struct.findtext("Name"): (
            int(struct.findtext("Notification")),
            [entry.text or "" for entry in struct.find("AccessList")],
        )
        for struct in parse(xml).iterfind(".//ParameterAttributeStruct")
    }


def body_of(xml: bytes) -> etree._Element:
    """The first child of the SOAP Body."""
    return parse(xml).find("soap-env:Body", NS)[0]


class FileServer:
    """An httpx.MockTransport file server that records the requests it gets."""

    def __init__(self, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.headers = headers or {}
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer every request with the configured status and a small file."""
        self.requests.append(request)
        return httpx.Response(self.status, headers=self.headers, content=b"firmware")


def test_attributes_default_to_off_and_partial_paths_expand(cpe: SimulatedCpe) -> None:
    found = attributes_of(cpe.answer(gpa(MS, SOFTWARE_VERSION)))

    assert list(found) == [name for name in cpe.values if name.startswith(MS)] + [SOFTWARE_VERSION]
    assert all(value == (0, []) for value in found.values())
    array_type = (
        body_of(cpe.answer(gpa(INTERVAL)))
        .find("ParameterList")
        .get(f"{{{NS['soap-enc']}}}arrayType")
    )
    assert array_type == "cwmp:ParameterAttributeStruct[1]"
    assert fault_of(cpe.answer(gpa("InternetGatewayDevice.Nope"))) == (9005, [])


def test_set_parameter_attributes_stores_notification_and_access_list(cpe: SimulatedCpe) -> None:
    response = cpe.answer(spa((INTERVAL, 2, ["Subscriber"]), (MS, None, None)))

    assert etree.QName(body_of(response)).localname == "SetParameterAttributesResponse"
    assert attributes_of(cpe.answer(gpa(INTERVAL))) == {INTERVAL: (2, ["Subscriber"])}
    cpe.answer(spa((MS, 1, None)))  # a partial path sets every parameter under it
    assert attributes_of(cpe.answer(gpa(INTERVAL, SOFTWARE_VERSION))) == {
        INTERVAL: (1, ["Subscriber"]),
        SOFTWARE_VERSION: (0, []),
    }
    cpe.answer(spa((INTERVAL, None, [])))
    assert cpe.attributes[INTERVAL].access_list == ()


def test_set_parameter_attributes_faults_change_nothing(cpe: SimulatedCpe) -> None:
    assert (
        fault_of(cpe.answer(spa((INTERVAL, 1, None), ("InternetGatewayDevice.Nope", 1, None))))[0]
        == 9005
    )
    assert fault_of(cpe.answer(spa((INTERVAL, 7, None))))[0] == 9003
    assert fault_of(cpe.answer(spa((INTERVAL, -1, None))))[0] == 9003
    assert cpe.attributes == {}


def test_add_object_copies_the_first_instance_with_default_values(cpe: SimulatedCpe) -> None:
    first = [name for name in cpe.values if name.startswith(WLAN + "1.")]

    response = body_of(cpe.answer(add_object(WLAN, key="wifi-2")))

    assert [response.findtext("InstanceNumber"), response.findtext("Status")] == ["2", "0"]
    added = [name for name in cpe.values if name.startswith(WLAN + "2.")]
    assert added == [name.replace(WLAN + "1.", WLAN + "2.", 1) for name in first]
    assert cpe.values[WLAN + "2.SSID"] == ("", "xsd:string")
    assert cpe.values[WLAN + "2.Enable"] == ("false", "xsd:boolean")
    assert cpe.values[WLAN + "2.Channel"] == ("0", "xsd:int")
    assert cpe.writable[WLAN + "2.SSID"] is True
    assert WLAN + "2.WEPKey.1." in cpe.objects
    assert cpe.values[MS + "ParameterKey"] == ("wifi-2", "xsd:string")
    listed = [
        info.findtext("Name")
        for info in parse(cpe.answer(gpn(WLAN, next_level=True))).iterfind(".//ParameterInfoStruct")
    ]
    assert listed == [WLAN + "1.", WLAN + "2."]
    assert body_of(cpe.answer(add_object(WLAN))).findtext("InstanceNumber") == "3"


def test_add_object_on_an_empty_table_and_its_entry_count(cpe: SimulatedCpe) -> None:
    counter = PORT_MAPPING.removesuffix(".") + "NumberOfEntries"
    assert cpe.values[counter][0] == "0"

    assert body_of(cpe.answer(add_object(PORT_MAPPING))).findtext("InstanceNumber") == "1"

    assert PORT_MAPPING + "1." in cpe.objects
    assert cpe.values[counter] == ("1", "xsd:unsignedInt")


@pytest.mark.parametrize(
    "name",
    [MS, "InternetGatewayDevice.NoSuchTable.", WLAN.removesuffix("."), WLAN + "1.", INTERVAL],
)
def test_add_object_on_anything_but_a_multi_instance_object_is_9005(
    cpe: SimulatedCpe, name: str
) -> None:
    before = dict(cpe.values)

    assert fault_of(cpe.answer(add_object(name))) == (9005, [])
    assert cpe.values == before


def test_delete_object_removes_the_instance_and_numbers_are_not_reused(cpe: SimulatedCpe) -> None:
    hosts = "InternetGatewayDevice.LANDevice.1.Hosts.Host."
    cpe.answer(spa((hosts + "6.IPAddress", 1, None)))

    response = body_of(cpe.answer(delete_object(hosts + "6.", key="gone")))

    assert response.findtext("Status") == "0"
    assert not [name for name in [*cpe.values, *cpe.objects] if name.startswith(hosts + "6.")]
    assert hosts + "6.IPAddress" not in cpe.attributes
    assert cpe.values["InternetGatewayDevice.LANDevice.1.Hosts.HostNumberOfEntries"][0] == "5"
    assert cpe.values[MS + "ParameterKey"][0] == "gone"
    assert fault_of(cpe.answer(gpv(hosts + "6."))) == (9005, [])
    assert fault_of(cpe.answer(delete_object(hosts + "6."))) == (9005, [])
    assert fault_of(cpe.answer(delete_object(MS))) == (9005, [])
    assert body_of(cpe.answer(add_object(hosts))).findtext("InstanceNumber") == "7"


def test_a_factory_reset_forgets_added_objects_and_attributes(cpe: SimulatedCpe) -> None:
    cpe.answer(add_object(WLAN))
    cpe.answer(spa((INTERVAL, 2, None)))
    cpe.answer(FACTORY_RESET)
    cpe.end_session()

    assert WLAN + "2." not in cpe.objects
    assert cpe.attributes == {}


def test_download_is_accepted_for_later_with_status_1(cpe: SimulatedCpe) -> None:
    response = body_of(cpe.answer(download("http://127.0.0.1:9/fw.bin")))

    assert etree.QName(response).localname == "DownloadResponse"
    assert [child.text for child in response] == [
        "1",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
    ]
    assert fault_of(cpe.answer(download(""))) == (9003, [])
    assert cpe.accepted_transfers == []  # only once the session ends
    cpe.end_session()
    [transfer] = cpe.accepted_transfers
    assert (transfer.kind, transfer.command_key, transfer.file_type) == (
        "Download",
        "dl-1",
        FIRMWARE,
    )
    assert (transfer.file_size, transfer.target_file_name) == (3, "fw.bin")


async def test_a_firmware_download_fetches_upgrades_reboots_and_reports() -> None:
    files = FileServer(headers={"X-Firmware-Version": "V200"})
    cpe = SimulatedCpe(ACS_URL, transfer_transport=files.transport)
    finish_session(cpe)
    cpe.answer(download("http://files.test/fw.bin", key="fw-7", username="u", password="p"))
    cpe.end_session()

    [done] = await cpe.perform_transfers()

    [request] = files.requests
    assert (request.method, str(request.url)) == ("GET", "http://files.test/fw.bin")
    assert request.headers["authorization"] == "Basic dTpw"
    assert (done.fault_code, done.http_status, done.content, done.reboots) == (
        0,
        200,
        b"firmware",
        True,
    )
    assert cpe.values[SOFTWARE_VERSION] == ("V200", "xsd:string")
    events = cpe.next_events()
    assert events == ["1 BOOT", "M Download", "7 TRANSFER COMPLETE"]
    inform = parse(cpe.build_inform(events))
    assert texts(inform, "//EventStruct/CommandKey") == ["", "fw-7", ""]
    assert parameter_values(cpe.build_inform(events))[SOFTWARE_VERSION][0] == "V200"
    cpe.accept_inform_response(INFORM_RESPONSE, events)
    [report] = cpe.requests_for(events)
    complete = body_of(cpe.build_request(report))
    assert etree.QName(complete).localname == "TransferComplete"
    assert complete.findtext("CommandKey") == "fw-7"
    assert [
        complete.findtext("FaultStruct/FaultCode"),
        complete.findtext("FaultStruct/FaultString"),
    ] == ["0", ""]
    assert complete.findtext("StartTime").endswith("Z")
    assert complete.findtext("CompleteTime") >= complete.findtext("StartTime")
    answer = acs_request("<c:TransferCompleteResponse/>")
    assert cpe.accept_request_answer(report, answer) == "TransferCompleteResponse"
    assert cpe.completed_transfers == []
    assert cpe.next_events() == ["2 PERIODIC"]


async def test_the_tests_firmware_version_wins_over_the_header() -> None:
    files = FileServer(headers={"X-Firmware-Version": "V200"})
    cpe = SimulatedCpe(ACS_URL, transfer_transport=files.transport, firmware_version="V300")
    cpe.answer(download("http://files.test/fw.bin"))
    cpe.end_session()
    await cpe.perform_transfers()

    assert cpe.values[SOFTWARE_VERSION][0] == "V300"
    assert "Authorization" not in files.requests[0].headers


def failing_transport(request: httpx.Request) -> httpx.Response:
    """A transport whose server cannot be reached."""
    raise httpx.ConnectError("refused", request=request)


@pytest.mark.parametrize(
    ("transport", "forced", "expected", "fetched"),
    [
        (FileServer(status=404).transport, None, 9010, True),
        (httpx.MockTransport(failing_transport), None, 9010, True),
        (FileServer().transport, 9012, 9012, False),
    ],
    ids=["http-404", "connection-refused", "forced-by-test"],
)
async def test_a_failed_download_reports_its_fault_without_rebooting(
    transport: httpx.MockTransport, forced: int | None, expected: int, fetched: bool
) -> None:
    cpe = SimulatedCpe(ACS_URL, transfer_transport=transport, download_fault=forced)
    finish_session(cpe)
    calls: list[httpx.Request] = []
    handler = transport.handler
    transport.handler = lambda request: calls.append(request) or handler(request)
    cpe.answer(download("http://files.test/fw.bin", key="bad"))
    cpe.end_session()

    [done] = await cpe.perform_transfers()

    assert (done.fault_code, done.reboots, bool(calls)) == (expected, False, fetched)
    assert cpe.values[SOFTWARE_VERSION][0] == "V100R001IRQC56B017"
    assert cpe.next_events() == ["7 TRANSFER COMPLETE"]
    complete = body_of(cpe.build_request(cpe.requests_for(["7 TRANSFER COMPLETE"])[0]))
    assert complete.findtext("CommandKey") == "bad"
    assert complete.findtext("FaultStruct/FaultCode") == str(expected)
    assert complete.findtext("FaultStruct/FaultString") != ""


async def test_a_transfercomplete_the_acs_faults_is_sent_again() -> None:
    cpe = SimulatedCpe(ACS_URL, transfer_transport=FileServer().transport)
    finish_session(cpe)
    cpe.answer(download("http://files.test/config", file_type="3 Vendor Configuration File"))
    cpe.end_session()
    await cpe.perform_transfers()
    events = cpe.next_events()
    assert events == ["M Download", "7 TRANSFER COMPLETE"]
    cpe.accept_inform_response(INFORM_RESPONSE, events)
    [report] = cpe.requests_for(events)

    assert cpe.accept_request_answer(report, ACS_FAULT) == 8002

    assert cpe.next_events() == ["7 TRANSFER COMPLETE"]  # M Download was delivered
    with pytest.raises(SimulatorError, match="expected a TransferCompleteResponse"):
        cpe.accept_request_answer(report, acs_request("<c:GetRPCMethodsResponse/>"))


async def test_never_complete_transfers_accepts_and_stays_silent() -> None:
    cpe = SimulatedCpe(ACS_URL, never_complete_transfers=True)
    finish_session(cpe)

    assert body_of(cpe.answer(download("http://127.0.0.1:9/fw"))).findtext("Status") == "1"
    cpe.end_session()

    assert await cpe.perform_transfers() == []
    assert len(cpe.unreported_transfers) == 1
    assert cpe.next_events() == ["2 PERIODIC"]


@pytest.mark.parametrize(
    ("file_type", "expected"),
    [("1 Vendor Configuration File", "config"), ("2 Vendor Log File", "log")],
)
async def test_an_upload_puts_a_generated_file_then_reports(file_type: str, expected: str) -> None:
    files = FileServer()
    cpe = SimulatedCpe(ACS_URL, transfer_transport=files.transport)
    finish_session(cpe)
    response = body_of(cpe.answer(upload("http://files.test/up", file_type, username="u")))
    assert etree.QName(response).localname == "UploadResponse"
    assert response.findtext("Status") == "1"
    cpe.end_session()

    [done] = await cpe.perform_transfers()

    [request] = files.requests
    assert (request.method, request.headers["authorization"]) == ("PUT", "Basic dTpwdw==")
    lines = request.content.decode().splitlines()
    if expected == "config":
        assert f"{INTERVAL}=300" in lines
        assert len(lines) == len(cpe.values)
    else:
        assert 1 < len(lines) < 10
        assert all(line[:4].isdigit() for line in lines)
    assert done.succeeded
    assert sorted(cpe.next_events()) == ["7 TRANSFER COMPLETE", "M Upload"]
    inform = parse(cpe.build_inform(cpe.next_events()))
    assert "up-1" in texts(inform, "//EventStruct/CommandKey")


async def test_a_failed_upload_is_9011_and_a_bad_file_type_is_refused() -> None:
    cpe = SimulatedCpe(ACS_URL, transfer_transport=FileServer(status=403).transport)
    finish_session(cpe)
    assert fault_of(cpe.answer(upload("http://files.test/up", "7 Movie File"))) == (9003, [])
    cpe.answer(upload("http://files.test/up", "3 Vendor Configuration File 1"))
    cpe.end_session()

    [done] = await cpe.perform_transfers()

    assert (done.fault_code, done.http_status) == (9011, 403)
    assert sorted(cpe.next_events()) == ["7 TRANSFER COMPLETE", "M Upload"]


def test_schedule_inform_makes_a_scheduled_session_with_the_command_key(
    cpe: SimulatedCpe,
) -> None:
    finish_session(cpe)
    response = body_of(cpe.answer(schedule_inform(30, key="later")))
    assert etree.QName(response).localname == "ScheduleInformResponse"
    assert fault_of(cpe.answer(schedule_inform(0))) == (9003, [])
    cpe.end_session()

    events = cpe.next_events()

    assert events == ["3 SCHEDULED", "M ScheduleInform"]
    assert texts(parse(cpe.build_inform(events)), "//EventStruct/CommandKey") == ["", "later"]
    assert finish_session(cpe) == events
    assert cpe.next_events() == ["2 PERIODIC"]


def test_a_local_change_to_a_notified_parameter_is_a_value_change(cpe: SimulatedCpe) -> None:
    ssid = WLAN + "1.SSID"
    finish_session(cpe)
    cpe.change_value(ssid, "not-notified")
    assert cpe.next_events() == ["2 PERIODIC"]
    cpe.answer(spa((ssid, 1, None)))
    cpe.answer(spv({ssid: ("by-the-acs", "xsd:string")}))
    assert cpe.next_events() == ["2 PERIODIC"]

    cpe.change_value(ssid, "by-the-user")

    assert cpe.next_events() == ["4 VALUE CHANGE"]
    assert parameter_values(cpe.build_inform(["4 VALUE CHANGE"]))[ssid][0] == "by-the-user"
    finish_session(cpe)
    assert cpe.next_events() == ["2 PERIODIC"]


# --- Requests from the CPE ------------------------------------------------------------------

ACS_FAULT = acs_request(
    "<SOAP-ENV:Fault><faultcode>Server</faultcode><faultstring>CWMP fault</faultstring>"
    "<detail><c:Fault><FaultCode>8002</FaultCode><FaultString>Internal error</FaultString>"
    "</c:Fault></detail></SOAP-ENV:Fault>"
)


def test_cpe_requests_are_announced_written_and_dequeued(cpe: SimulatedCpe) -> None:
    finish_session(cpe)
    autonomous = cpe.queue_autonomous_transfer_complete(
        "http://files.test/fw.bin", file_size=42, target_file_name="fw.bin"
    )
    cpe.queue_request(RequestDownload(file_type="2 Web Content", file_type_args=[("Version", "3")]))
    cpe.queue_request(Kicked(command="cmd", referer="http://portal", arg="a", next="http://n"))
    cpe.queue_request(GetRPCMethods())

    events = cpe.next_events()

    assert events == ["10 AUTONOMOUS TRANSFER COMPLETE", "9 REQUEST DOWNLOAD", "5 KICKED"]
    requests = cpe.requests_for(events)
    assert [request.method for request in requests] == [
        "AutonomousTransferComplete",
        "RequestDownload",
        "Kicked",
        "GetRPCMethods",
    ]
    bodies = [body_of(cpe.build_request(request)) for request in requests]
    assert [child.tag for child in bodies[0]] == [
        "AnnounceURL",
        "TransferURL",
        "IsDownload",
        "FileType",
        "FileSize",
        "TargetFileName",
        "FaultStruct",
        "StartTime",
        "CompleteTime",
    ]
    assert bodies[0].findtext("TransferURL") == "http://files.test/fw.bin"
    assert bodies[0].findtext("IsDownload") == "1"
    assert bodies[1].findtext("FileTypeArg/ArgStruct/Name") == "Version"
    assert [bodies[2].findtext(tag) for tag in ("Command", "Referer", "Arg", "Next")] == [
        "cmd",
        "http://portal",
        "a",
        "http://n",
    ]
    assert len(bodies[3]) == 0
    assert cpe.accept_request_answer(autonomous, ACS_FAULT) == 8002  # kept: it is retried
    assert cpe.accept_request_answer(requests[2], ACS_FAULT) == 8002  # dropped
    response = acs_request("<c:RequestDownloadResponse/>")
    assert cpe.accept_request_answer(requests[1], response) == "RequestDownloadResponse"
    assert [request.method for request in cpe.queued_requests] == [
        "AutonomousTransferComplete",
        "GetRPCMethods",
    ]


@pytest.mark.parametrize(
    ("namespace", "schema"),
    [(NS["cwmp"], "cwmp-1-0.xsd"), (CWMP_1_2, "cwmp-1-2.xsd"), (CWMP_1_2, "cwmp-1-4.xsd")],
)
async def test_the_new_messages_are_schema_valid(namespace: str, schema: str) -> None:
    cpe = SimulatedCpe(
        ACS_URL,
        cwmp_namespace=namespace,
        transfer_transport=FileServer().transport,
        supported_versions="1.0,1.1,1.2,1.3,1.4" if schema == "cwmp-1-4.xsd" else None,
        session_timeout=60 if schema == "cwmp-1-4.xsd" else None,
    )
    messages = [
        cpe.answer(gpa(MS)),
        cpe.answer(spa((INTERVAL, 2, ["Subscriber"]))),
        cpe.answer(add_object(WLAN)),
        cpe.answer(delete_object(WLAN + "2.")),
        cpe.answer(download("http://files.test/fw")),
        cpe.answer(upload("http://files.test/up", "1 Vendor Configuration File")),
        cpe.answer(schedule_inform(5)),
        cpe.answer(add_object(MS)),
    ]
    cpe.end_session()
    await cpe.perform_transfers()
    events = cpe.next_events()
    messages.append(cpe.build_inform(events))
    requests = [*cpe.requests_for(events), Kicked(command="c"), GetRPCMethods()]
    if namespace != NS["cwmp"]:  # AutonomousTransferComplete is new in cwmp-1-1
        requests.append(AutonomousTransferComplete(transfer_url="http://x"))
        requests.append(RequestDownload(file_type_args=[("a", "b")]))
    messages += [cpe.build_request(request) for request in requests]
    validator = cwmp_schema(schema)

    for message in messages:
        validator.assertValid(parse(message))


# --- Whole sessions against a scripted ACS (httpx.MockTransport) ----------------------------


class FakeAcs:
    """A scripted ACS: answers the Inform and the CPE's requests, then sends its own requests."""

    def __init__(
        self,
        *,
        inform_headers: str = "",
        faults: dict[str, int] | None = None,
        acs_requests: list[bytes] | None = None,
    ) -> None:
        self.inform_headers = inform_headers
        self.faults = faults or {}
        self.acs_requests = acs_requests or []
        self.received: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self.handle)

    def bodies(self) -> list[bytes]:
        """What the CPE posted, decompressed."""
        return [
            gzip.decompress(r.content) if r.headers.get("content-encoding") else r.content
            for r in self.received
        ]

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one POST of the CPE."""
        self.received.append(request)
        body = self.bodies()[-1]
        method = etree.QName(body_of(body)).localname if body else ""
        if method == "Inform":
            response = "<c:InformResponse><MaxEnvelopes>1</MaxEnvelopes></c:InformResponse>"
            return httpx.Response(200, content=with_headers(response, self.inform_headers))
        if method in self.faults:
            fault = ACS_FAULT.replace(b"8002", str(self.faults[method]).encode())
            return httpx.Response(500, content=fault)
        if method and not method.endswith("Response") and method != "Fault":
            return httpx.Response(200, content=acs_request(f"<c:{method}Response/>"))
        if self.acs_requests:
            return httpx.Response(200, content=self.acs_requests.pop(0))
        return httpx.Response(204)


def with_headers(body: str, headers: str) -> bytes:
    """An ACS message with extra SOAP headers after the cwmp:ID."""
    return acs_request(body).replace(b"</c:ID>", b"</c:ID>" + headers.encode())


def bootstrapped(acs: FakeAcs, **options: object) -> SimulatedCpe:
    """A simulated CPE talking to the fake ACS, past its first session."""
    cpe = SimulatedCpe(ACS_URL, acs_transport=acs.transport, **options)  # type: ignore[arg-type]
    finish_session(cpe)
    return cpe


async def test_cpe_requests_go_before_the_empty_post_and_faults_are_answers() -> None:
    acs = FakeAcs(faults={"Kicked": 8000})
    cpe = bootstrapped(acs)

    log = await cpe.run_session(requests=[Kicked(command="c"), GetRPCMethods()])

    assert log.events == ["5 KICKED"]
    assert log.request_answers == [("Kicked", 8000), ("GetRPCMethods", "GetRPCMethodsResponse")]
    assert log.statuses == [200, 500, 200, 204]
    assert log.requests[-1] == b""
    assert cpe.queued_requests == []
    assert not log.hold_requests_seen


async def test_hold_requests_keeps_the_cpe_requests_for_a_later_session() -> None:
    acs = FakeAcs(inform_headers='<c:HoldRequests SOAP-ENV:mustUnderstand="1">1</c:HoldRequests>')
    cpe = bootstrapped(acs)
    cpe.queue_request(GetRPCMethods())

    log = await cpe.run_session()

    assert log.hold_requests_seen
    assert log.request_answers == []
    assert log.requests[1] == b""
    assert len(cpe.queued_requests) == 1
    acs.inform_headers = ""
    log = await cpe.run_session()
    assert log.request_answers == [("GetRPCMethods", "GetRPCMethodsResponse")]


async def test_supported_versions_and_session_timeout_headers_and_the_chosen_version() -> None:
    acs = FakeAcs(
        inform_headers='<c:UseCWMPVersion SOAP-ENV:mustUnderstand="1">1.4</c:UseCWMPVersion>',
        acs_requests=[acs_request("<c:GetRPCMethods/>")],
    )
    cpe = bootstrapped(acs, supported_versions="1.0,1.4", session_timeout=120)

    log = await cpe.run_session()

    inform = parse(log.requests[0])
    assert texts(inform, "soap-env:Header/cwmp:SessionTimeout") == ["120"]
    assert texts(inform, "soap-env:Header/cwmp:SupportedCWMPVersions") == ["1.0,1.4"]
    must_understand = inform.find("soap-env:Header/cwmp:SessionTimeout", NS).get(
        f"{{{NS['soap-env']}}}mustUnderstand"
    )
    assert must_understand == "0"
    assert log.use_version == "1.4"
    assert body_of(log.requests[-1]).tag == f"{{{CWMP_1_2}}}GetRPCMethodsResponse"
    acs.inform_headers = ""
    assert (await cpe.run_session()).use_version is None
    assert not parse(SimulatedCpe(ACS_URL).build_inform(["1 BOOT"])).xpath(
        "//cwmp:SessionTimeout | //cwmp:SupportedCWMPVersions", namespaces=NS
    )


async def test_gzip_bodies_in_iso_8859_1() -> None:
    acs = FakeAcs()
    provisioning = "InternetGatewayDevice.DeviceInfo.ProvisioningCode"
    cpe = bootstrapped(acs, gzip=True, charset="iso-8859-1", overrides={provisioning: "Café"})

    await cpe.run_session()

    inform, empty = acs.received
    assert inform.headers["content-encoding"] == "gzip"
    assert inform.headers["content-type"] == 'text/xml; charset="iso-8859-1"'
    xml = gzip.decompress(inform.content)
    assert xml.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert b"Caf\xe9" in xml
    assert parameter_values(xml)[provisioning][0] == "Café"
    assert empty.content == b""
    assert "content-encoding" not in empty.headers


async def test_a_download_in_one_session_is_reported_in_the_next() -> None:
    acs = FakeAcs(acs_requests=[download("http://files.test/fw.bin", key="fw-1")])
    files = FileServer(headers={"X-Firmware-Version": "V2"})
    cpe = bootstrapped(acs, transfer_transport=files.transport)

    first = await cpe.run_session()

    assert first.rpcs == ["Download"]
    assert [(done.transfer.command_key, done.fault_code) for done in first.transfers] == [
        ("fw-1", 0)
    ]
    second = await cpe.run_session()
    assert second.events == ["1 BOOT", "M Download", "7 TRANSFER COMPLETE"]
    assert second.request_answers == [("TransferComplete", "TransferCompleteResponse")]
    assert body_of(second.requests[1]).findtext("CommandKey") == "fw-1"
    assert cpe.values[SOFTWARE_VERSION][0] == "V2"
    assert (await cpe.run_session()).events == ["2 PERIODIC"]


# --- Connection requests (TR-069 3.2.2) ------------------------------------------------------


def authorization(challenge: str, password: str, *, nc: int = 1, uri: str = "/cr") -> str:
    """A Digest Authorization (qop=auth) of GET `uri` as user "acs", answering a challenge."""
    _, fields = parse_authorization(challenge)
    count = f"{nc:08x}"
    response = digest_response(
        username="acs",
        password=password,
        realm=fields["realm"],
        method="GET",
        uri=uri,
        nonce=fields["nonce"],
        nc=count,
        cnonce="c0ffee",
        qop="auth",
    )
    return (
        f'Digest username="acs", realm="{fields["realm"]}", nonce="{fields["nonce"]}", '
        f'uri="{uri}", response="{response}", qop=auth, nc={count}, cnonce="c0ffee", '
        f'opaque="{fields["opaque"]}", algorithm=MD5'
    )


def test_digest_verification_accepts_the_right_password_only() -> None:
    verifier = DigestAuthenticator("CPE", lambda: ("acs", "s3cret"))
    challenge = verifier.challenges()[0]
    assert challenge.startswith('Digest realm="CPE", qop="auth", nonce="')

    assert verifier.verify("GET", "/cr", authorization(challenge, "s3cret"))
    assert verifier.verify("GET", "/cr", authorization(challenge, "s3cret", nc=2))
    assert not verifier.verify("GET", "/cr", authorization(challenge, "s3cret", nc=2))  # replay
    assert not verifier.verify("GET", "/cr", authorization(challenge, "wrong", nc=3))
    assert not verifier.verify("GET", "/other", authorization(challenge, "s3cret", nc=4))
    assert verifier.challenges()[0] != challenge  # a fresh nonce per challenge
    foreign = DigestAuthenticator("CPE", lambda: ("acs", "s3cret")).challenges()[0]
    assert not verifier.verify("GET", "/cr", authorization(foreign, "s3cret"))
    assert not verifier.verify("GET", "/cr", None)
    basic = "Basic " + base64.b64encode(b"acs:s3cret").decode()
    assert not verifier.verify("GET", "/cr", basic)
    with_basic = DigestAuthenticator("CPE", lambda: ("acs", "s3cret"), allow_basic=True)
    assert with_basic.verify("GET", "/cr", basic)
    assert not with_basic.verify("GET", "/cr", "Basic " + base64.b64encode(b"acs:x").decode())
    assert with_basic.challenges()[1] == 'Basic realm="CPE"'


async def test_the_connection_request_server_authenticates_and_starts_a_session() -> None:
    cpe = SimulatedCpe("http://127.0.0.1:9/cwmp", timeout=2)  # nothing listens: fails fast

    async with (
        ConnectionRequestServer(cpe, "acs", "s3cret") as server,
        httpx.AsyncClient(trust_env=False, timeout=5) as client,
    ):
        assert cpe.values[MS + "ConnectionRequestURL"][0] == server.url
        assert cpe.connection_request_username == "acs"
        challenge = await client.get(server.url)
        assert challenge.status_code == 401
        assert challenge.headers["www-authenticate"].startswith("Digest ")
        assert 'qop="auth"' in challenge.headers["www-authenticate"]

        response = await client.get(server.url, auth=httpx.DigestAuth("acs", "s3cret"))

        assert response.status_code == 200
        assert server.hits == 1
        with pytest.raises(SimulatorError, match="HTTP POST"):
            await server.wait_for_session(10)
        assert len(server.errors) == 1
        assert server.sessions == []
        wrong = await client.get(server.url, auth=httpx.DigestAuth("acs", "wrong"))
        assert wrong.status_code == 401
        assert (server.hits, server.failed_auth) == (1, 1)
        assert (await client.get(server.url + "x")).status_code == 404


async def test_a_connection_request_session_reports_6_connection_request() -> None:
    cpe = bootstrapped(FakeAcs())

    async with (
        ConnectionRequestServer(cpe, allow_basic=True) as server,
        httpx.AsyncClient(trust_env=False, timeout=5) as client,
    ):
        credentials = (cpe.connection_request_username, cpe.connection_request_password)
        response = await client.get(server.url, auth=httpx.BasicAuth(*credentials))
        assert response.status_code == 200

        log = await server.wait_for_session(10)

    assert log.events == ["6 CONNECTION REQUEST"]
    assert log.inform_response_ok
    assert server.sessions == [log]
