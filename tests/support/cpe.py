"""A simulated TR-069 CPE (a Huawei BM632w home gateway) that talks CWMP to an ACS over HTTP.

It is independent of the ``acs`` package on purpose: it builds and parses its own SOAP with lxml,
so an end-to-end test checks the ACS against the protocol rather than against itself. The pure
parts (``build_inform``, ``accept_inform_response``, ``answer``, ``end_session``) need no network;
``run_session`` only adds the HTTP of one CWMP session (TR-069 3.7).
"""

from __future__ import annotations

import csv
import functools
import ipaddress
import re
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import httpx
from lxml import etree

DEFAULT_DATA_MODEL: Final = Path(__file__).resolve().parents[1] / "fixtures/huawei-bm632w_tr098.csv"
CWMP_1_0: Final = "urn:dslforum-org:cwmp-1-0"
SOAP_ENV: Final = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC: Final = "http://schemas.xmlsoap.org/soap/encoding/"
XSD: Final = "http://www.w3.org/2001/XMLSchema"
XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
USER_AGENT: Final = "acs-tests-cpe-simulator/1.0"

PARAMETER_KEY: Final = "InternetGatewayDevice.ManagementServer.ParameterKey"
PERIODIC_INFORM_INTERVAL: Final = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
# TR-098 "Forced Inform" parameters (TR-069 Table 7 / TR-098), in the order a BM632w sends them.
INFORM_PARAMETERS: Final[tuple[str, ...]] = (
    "InternetGatewayDevice.DeviceSummary",
    "InternetGatewayDevice.DeviceInfo.SpecVersion",
    "InternetGatewayDevice.DeviceInfo.HardwareVersion",
    "InternetGatewayDevice.DeviceInfo.SoftwareVersion",
    "InternetGatewayDevice.DeviceInfo.ProvisioningCode",
    PARAMETER_KEY,
    "InternetGatewayDevice.ManagementServer.ConnectionRequestURL",
    PERIODIC_INFORM_INTERVAL,
)
_EXTERNAL_IP: Final = re.compile(
    r"InternetGatewayDevice\.WANDevice\.\d+\.WANConnectionDevice\.\d+"
    r"\.WANIPConnection\.\d+\.ExternalIPAddress"
)
# DeviceInfo parameters that must agree with the constructor's DeviceId.
_IDENTITY: Final = {
    "OUI": "InternetGatewayDevice.DeviceInfo.ManufacturerOUI",
    "ProductClass": "InternetGatewayDevice.DeviceInfo.ProductClass",
    "SerialNumber": "InternetGatewayDevice.DeviceInfo.SerialNumber",
}
SUPPORTED_METHODS: Final = (
    "GetRPCMethods",
    "GetParameterNames",
    "GetParameterValues",
    "SetParameterValues",
    "Reboot",
    "FactoryReset",
)
# TR-069 A.5.1 fault codes the simulator can answer with.
FAULT_STRINGS: Final = {
    9000: "Method not supported",
    9003: "Invalid arguments",
    9005: "Invalid parameter name",
    9007: "Invalid parameter value",
    9008: "Attempt to set a non-writable parameter",
}
_PARSER: Final = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True
)
_INT_RANGES: Final = {"xsd:int": (-(2**31), 2**31 - 1), "xsd:unsignedInt": (0, 2**32 - 1)}


class SimulatorError(Exception):
    """The ACS misbehaved: bad HTTP status, SOAP Fault, unparseable body or no InformResponse."""


class CpeFault(Exception):  # noqa: N818 - named after the CWMP Fault it carries
    """A CWMP fault the CPE answers instead of a method response (TR-069 A.5)."""

    def __init__(self, code: int, parameters: Sequence[tuple[str, int]] = ()) -> None:
        super().__init__(f"{code} {FAULT_STRINGS[code]}")
        self.code = code
        self.parameters = list(parameters)


@dataclass
class SessionLog:
    """What happened in one CWMP session, for a test to assert on."""

    events: list[str]
    rpcs: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    faults: list[int] = field(default_factory=list)
    inform_response_ok: bool = False
    inform_id_echoed: bool = False
    cookies_sent: bool = False
    cookies: dict[str, str] = field(default_factory=dict)
    request_cookie_headers: list[str | None] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)
    responses: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class _DataModel:
    """A parsed data model CSV: the DeviceId, the parameters and the object paths."""

    device: dict[str, str]
    parameters: dict[str, tuple[str, str, bool]]
    objects: dict[str, bool]
    tree: tuple[str, ...]


@dataclass(frozen=True)
class _Message:
    """An ACS message: the local name of the Body's first child, the cwmp:ID and that child."""

    method: str
    cwmp_id: str | None
    element: etree._Element


@functools.cache
def _load(path: Path) -> _DataModel:
    """Read a genieacs-sim data model CSV (Parameter, Object, Writable, Value, Value type)."""
    device: dict[str, str] = {}
    parameters: dict[str, tuple[str, str, bool]] = {}
    objects: dict[str, bool] = {}
    tree: list[str] = []
    with path.open(newline="", encoding="utf-8") as file:
        for row in csv.DictReader(file):
            name, writable = row["Parameter"], row["Writable"] == "true"
            if name.startswith("DeviceID."):
                device[name.removeprefix("DeviceID.")] = row["Value"]
            elif row["Object"] == "true":
                objects[f"{name}."] = writable
                tree.append(f"{name}.")
            else:
                parameters[name] = (row["Value"], row["Value type"] or "xsd:string", writable)
                tree.append(name)
    return _DataModel(device, parameters, objects, tuple(tree))


def genieacs_device_id(oui: str, product_class: str, serial: str) -> str:
    """The GenieACS device id: OUI-ProductClass-SerialNumber, or OUI-SerialNumber, escaped."""
    parts = (oui, product_class, serial) if product_class else (oui, serial)
    return "-".join(_escape(part) for part in parts)


def _escape(part: str) -> str:
    """Percent-encode (UTF-8, upper-case hex) every character outside [A-Za-z0-9_]."""
    return "".join(
        char
        if char.isascii() and (char.isalnum() or char == "_")
        else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in part
    )


def _factory_image(
    model: _DataModel, identity: dict[str, str], overrides: dict[str, str]
) -> _DataModel:
    """The data model with this device's identity and overrides, and PeriodicInformInterval."""
    parameters = dict(model.parameters)
    objects, tree = dict(model.objects), list(model.tree)
    extra = {name: identity[key] for key, name in _IDENTITY.items() if name in parameters}
    for name, value in {**extra, **overrides}.items():
        kind, writable = parameters[name][1:] if name in parameters else ("xsd:string", True)
        parameters[name] = (value, kind, writable)
    if PERIODIC_INFORM_INTERVAL not in parameters:
        parameters[PERIODIC_INFORM_INTERVAL] = ("300", "xsd:unsignedInt", True)
    known = set(tree)
    for name in [name for name in parameters if name not in known]:  # and their parent objects
        parts = name.split(".")
        parents = [".".join(parts[:depth]) + "." for depth in range(1, len(parts))]
        for parent in (parent for parent in parents if parent not in objects):
            objects[parent] = False
            tree.append(parent)
        tree.append(name)
    return _DataModel(model.device, parameters, objects, tuple(tree))


class SimulatedCpe:
    """A TR-069 CPE with a TR-098 data model that runs CWMP sessions against an ACS."""

    def __init__(
        self,
        acs_url: str,
        *,
        serial: str = "SIM000001",
        oui: str | None = None,
        product_class: str | None = None,
        cwmp_namespace: str = CWMP_1_0,
        overrides: dict[str, str] | None = None,
        data_model: Path = DEFAULT_DATA_MODEL,
        new_connection_per_request: bool = False,
        max_exchanges: int = 100,
        timeout: float = 10.0,
    ) -> None:
        _require_loopback(acs_url)
        model = _load(data_model)
        self.acs_url = acs_url
        self.cwmp_namespace = cwmp_namespace
        self.new_connection_per_request = new_connection_per_request
        self.max_exchanges = max_exchanges
        self.timeout = timeout
        self.manufacturer = model.device.get("Manufacturer", "")
        self.oui = model.device.get("OUI", "") if oui is None else oui
        self.product_class = (
            model.device.get("ProductClass", "") if product_class is None else product_class
        )
        self.serial = serial
        identity = {"OUI": self.oui, "ProductClass": self.product_class, "SerialNumber": serial}
        self._image = _factory_image(model, identity, overrides or {})
        self.objects = self._image.objects
        self.values: dict[str, tuple[str, str]] = {}
        self.writable: dict[str, bool] = {}
        self._restore_defaults()
        self.bootstrapped = False
        self.reboot_command_key: str | None = None
        self._pending_reboot_key: str | None = None
        self._pending_factory_reset = False

    @property
    def device_id(self) -> str:
        """The GenieACS-compatible id the ACS should give this device."""
        return genieacs_device_id(self.oui, self.product_class, self.serial)

    def next_events(self) -> list[str]:
        """The event codes the device's state calls for in its next Inform (TR-069 3.7.1.5)."""
        if not self.bootstrapped:
            return ["0 BOOTSTRAP", "1 BOOT"]
        if self.reboot_command_key is not None:
            return ["1 BOOT", "M Reboot"]
        return ["2 PERIODIC"]

    def build_inform(
        self, events: Sequence[str], *, cwmp_id: str | None = None, now: datetime | None = None
    ) -> bytes:
        """The Inform request opening a session with these event codes (TR-069 A.3.3.1)."""
        envelope, body = self._envelope(cwmp_id or _new_id())
        inform = etree.SubElement(body, self._cwmp("Inform"))
        device_id = etree.SubElement(inform, "DeviceId")
        for tag, text in (
            ("Manufacturer", self.manufacturer),
            ("OUI", self.oui),
            ("ProductClass", self.product_class),
            ("SerialNumber", self.serial),
        ):
            _add(device_id, tag, text)
        event_list = _array(inform, "Event", f"cwmp:EventStruct[{len(events)}]")
        for code in events:
            event = etree.SubElement(event_list, "EventStruct")
            _add(event, "EventCode", code)
            key = self.reboot_command_key if code == "M Reboot" else None
            _add(event, "CommandKey", key or "")
        _add(inform, "MaxEnvelopes", "1")
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        _add(
            inform, "CurrentTime", moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        )
        _add(inform, "RetryCount", "0")
        self._parameter_list(inform, self.inform_parameters())
        return _serialize(envelope)

    def inform_parameters(self) -> list[str]:
        """The parameters the Inform carries: the forced ones and the first WAN IP address."""
        names = [name for name in INFORM_PARAMETERS if name in self.values]
        external_ip = next((name for name in self.values if _EXTERNAL_IP.fullmatch(name)), None)
        return names if external_ip is None else [*names, external_ip]

    def accept_inform_response(self, body: bytes, events: Sequence[str]) -> str | None:
        """Check the ACS's answer to the Inform, mark its events delivered, return its cwmp:ID."""
        message = _parse(body)
        if message.method != "InformResponse":
            raise SimulatorError(f"expected an InformResponse, got {_describe(message)}")
        if "0 BOOTSTRAP" in events:
            self.bootstrapped = True
        if "1 BOOT" in events or "M Reboot" in events:
            self.reboot_command_key = None
        return message.cwmp_id

    def answer(self, request_xml: bytes) -> bytes:
        """The CPE's response (or CWMP fault) to one ACS request."""
        return self._respond(_parse(request_xml))[0]

    def end_session(self) -> None:
        """Close the session: a FactoryReset or Reboot accepted in it takes effect now."""
        if self._pending_factory_reset:
            self._restore_defaults()
            self.bootstrapped = False
            self.reboot_command_key = None
        elif self._pending_reboot_key is not None:
            self.reboot_command_key = self._pending_reboot_key
        self._pending_reboot_key = None
        self._pending_factory_reset = False

    def _restore_defaults(self) -> None:
        """Forget every set value: back to the factory image."""
        self.values = {
            name: (value, kind) for name, (value, kind, _) in self._image.parameters.items()
        }
        self.writable = {
            name: writable for name, (_, _, writable) in self._image.parameters.items()
        }

    async def run_session(self, events: Sequence[str] | None = None) -> SessionLog:
        """Run one CWMP session against the ACS over HTTP (TR-069 3.7) and log it."""
        self._pending_reboot_key, self._pending_factory_reset = None, False
        chosen = list(self.next_events() if events is None else events)
        log = SessionLog(events=chosen)
        inform_id = _new_id()
        async with _Http(self.acs_url, self.new_connection_per_request, self.timeout) as http:
            reply = await self._exchange(http, log, self.build_inform(chosen, cwmp_id=inform_id))
            if reply is None:
                raise SimulatorError(f"no InformResponse: HTTP {log.statuses[-1]} with no body")
            log.inform_id_echoed = self.accept_inform_response(reply, chosen) == inform_id
            log.inform_response_ok = True
            reply = await self._exchange(http, log, b"")
            while reply is not None:
                message = _parse(reply)
                log.rpcs.append(message.method)
                answer, fault = self._respond(message)
                if fault is not None:
                    log.faults.append(fault)
                reply = await self._exchange(http, log, answer)
            log.cookies = dict(http.cookies)
        self.end_session()
        return log

    async def _exchange(self, http: _Http, log: SessionLog, body: bytes) -> bytes | None:
        """POST one message; the ACS's SOAP body, or None when it ends the session."""
        if len(log.statuses) >= self.max_exchanges:
            raise SimulatorError(f"the ACS kept the session open past {self.max_exchanges} POSTs")
        response = await http.post(body)
        log.requests.append(body)
        log.responses.append(response.content)
        log.statuses.append(response.status_code)
        log.request_cookie_headers.append(response.request.headers.get("cookie"))
        log.cookies_sent = log.cookies_sent or bool(response.headers.get_list("set-cookie"))
        if response.status_code not in (200, 204):
            raise SimulatorError(
                f"HTTP {response.status_code} from the ACS: {response.text[:500]!r}"
            )
        if response.status_code == 204 or not response.content.strip():
            return None
        return response.content

    def _respond(self, message: _Message) -> tuple[bytes, int | None]:
        """Answer an ACS request; the response and the fault code if it is a fault."""
        if message.method == "Fault" or message.method.endswith("Response"):
            raise SimulatorError(f"expected an ACS request, got {_describe(message)}")
        envelope, body = self._envelope(message.cwmp_id)
        try:
            self._dispatch(message, body)
        except CpeFault as fault:
            envelope, body = self._envelope(message.cwmp_id)
            self._fault(body, fault)
            return _serialize(envelope), fault.code
        return _serialize(envelope), None

    def _dispatch(self, message: _Message, body: etree._Element) -> None:
        """Run the ACS's method, writing its response into the SOAP Body (TR-069 A.3.2)."""
        request = message.element
        match message.method:
            case "GetParameterValues":
                self._get_parameter_values(request, body)
            case "SetParameterValues":
                self._set_parameter_values(request, body)
            case "GetParameterNames":
                self._get_parameter_names(request, body)
            case "Reboot":
                self._pending_reboot_key = _text(request, "CommandKey")
                etree.SubElement(body, self._cwmp("RebootResponse"))
            case "FactoryReset":
                self._pending_factory_reset = True
                etree.SubElement(body, self._cwmp("FactoryResetResponse"))
            case "GetRPCMethods":
                response = etree.SubElement(body, self._cwmp("GetRPCMethodsResponse"))
                methods = _array(response, "MethodList", f"xsd:string[{len(SUPPORTED_METHODS)}]")
                for method in SUPPORTED_METHODS:
                    _add(methods, "string", method)
            case _:
                raise CpeFault(9000)

    def _get_parameter_values(self, request: etree._Element, body: etree._Element) -> None:
        """GetParameterValues: full names, or partial paths ending in '.' (TR-069 A.3.2.2)."""
        selected: dict[str, None] = {}
        for name_element in _children(_required(request, "ParameterNames")):
            selected.update(dict.fromkeys(self._select(name_element.text or "")))
        response = etree.SubElement(body, self._cwmp("GetParameterValuesResponse"))
        self._parameter_list(response, list(selected))

    def _select(self, name: str) -> list[str]:
        """The parameter names a GetParameterValues name stands for, or fault 9005."""
        if name and not name.endswith("."):
            if name not in self.values:
                raise CpeFault(9005)
            return [name]
        if name and name not in self.objects:
            raise CpeFault(9005)
        return [parameter for parameter in self.values if parameter.startswith(name)]

    def _set_parameter_values(self, request: etree._Element, body: etree._Element) -> None:
        """SetParameterValues, all or nothing, then the ParameterKey (TR-069 A.3.2.1)."""
        updates: dict[str, str] = {}
        errors: list[tuple[str, int]] = []
        for struct in _children(_required(request, "ParameterList")):
            name, value = _text(struct, "Name"), _text(struct, "Value")
            code = self._check_set(name, value)
            if code is None:
                updates[name] = value
            else:
                errors.append((name, code))
        if errors:
            raise CpeFault(9003, errors)
        for name, value in updates.items():
            self.values[name] = (value, self.values[name][1])
        key_type = self.values.get(PARAMETER_KEY, ("", "xsd:string"))[1]
        self.values[PARAMETER_KEY] = (_text(request, "ParameterKey"), key_type)
        response = etree.SubElement(body, self._cwmp("SetParameterValuesResponse"))
        _add(response, "Status", "0")

    def _check_set(self, name: str, value: str) -> int | None:
        """The SetParameterValuesFault code for setting this parameter, or None if it is fine."""
        if name not in self.values:
            return 9005
        if not self.writable.get(name, False):
            return 9008
        return None if _valid(value, self.values[name][1]) else 9007

    def _get_parameter_names(self, request: etree._Element, body: etree._Element) -> None:
        """GetParameterNames of a path, whole subtree or next level only (TR-069 A.3.2.3)."""
        path = _text(request, "ParameterPath")
        next_level = _text(request, "NextLevel").strip().lower() in ("1", "true")
        names = self._names_under(path, next_level=next_level)
        response = etree.SubElement(body, self._cwmp("GetParameterNamesResponse"))
        items = _array(response, "ParameterList", f"cwmp:ParameterInfoStruct[{len(names)}]")
        for name in names:
            info = etree.SubElement(items, "ParameterInfoStruct")
            _add(info, "Name", name)
            writable = self.objects[name] if name.endswith(".") else self.writable[name]
            _add(info, "Writable", "1" if writable else "0")

    def _names_under(self, path: str, *, next_level: bool) -> list[str]:
        """The objects and parameters a GetParameterNames path lists."""
        if path and not path.endswith("."):
            if path not in self.values:
                raise CpeFault(9005)
            if next_level:
                raise CpeFault(9003)
            return [path]
        if path and path not in self.objects:
            raise CpeFault(9005)
        names = [name for name in self._image.tree if name.startswith(path)]
        if not next_level:
            return names
        return [n for n in names if n != path and "." not in n[len(path) :].removesuffix(".")]

    def _cwmp(self, name: str) -> str:
        """The qualified name of a CWMP element in the device's namespace."""
        return f"{{{self.cwmp_namespace}}}{name}"

    def _envelope(self, cwmp_id: str | None) -> tuple[etree._Element, etree._Element]:
        """A SOAP 1.1 envelope with the cwmp:ID header (TR-069 3.5) and its empty Body."""
        nsmap = {"soap-env": SOAP_ENV, "soap-enc": SOAP_ENC, "xsd": XSD, "xsi": XSI}
        envelope = etree.Element(
            f"{{{SOAP_ENV}}}Envelope", nsmap={**nsmap, "cwmp": self.cwmp_namespace}
        )
        if cwmp_id is not None:
            header = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
            id_element = etree.SubElement(
                header, self._cwmp("ID"), {f"{{{SOAP_ENV}}}mustUnderstand": "1"}
            )
            id_element.text = cwmp_id
        return envelope, etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")

    def _parameter_list(self, parent: etree._Element, names: Sequence[str]) -> None:
        """A ParameterList of ParameterValueStruct, each Value with its xsi:type."""
        items = _array(parent, "ParameterList", f"cwmp:ParameterValueStruct[{len(names)}]")
        for name in names:
            value, kind = self.values[name]
            struct = etree.SubElement(items, "ParameterValueStruct")
            _add(struct, "Name", name)
            _add(struct, "Value", value).set(f"{{{XSI}}}type", kind)

    def _fault(self, body: etree._Element, fault: CpeFault) -> None:
        """A SOAP Fault carrying a cwmp:Fault (TR-069 A.5)."""
        soap_fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
        _add(soap_fault, "faultcode", "Client")
        _add(soap_fault, "faultstring", "CWMP fault")
        detail = etree.SubElement(etree.SubElement(soap_fault, "detail"), self._cwmp("Fault"))
        _add(detail, "FaultCode", str(fault.code))
        _add(detail, "FaultString", FAULT_STRINGS[fault.code])
        for name, code in fault.parameters:
            entry = etree.SubElement(detail, "SetParameterValuesFault")
            _add(entry, "ParameterName", name)
            _add(entry, "FaultCode", str(code))
            _add(entry, "FaultString", FAULT_STRINGS[code])


class _Http:
    """The HTTP side of a session: one keep-alive client, or a new client per request."""

    def __init__(self, url: str, new_connection_per_request: bool, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        self.cookies = httpx.Cookies()
        self._client = None if new_connection_per_request else self._new_client()

    def _new_client(self) -> httpx.AsyncClient:
        """A client (and so a new TCP connection) that starts with the session's cookies."""
        return httpx.AsyncClient(
            cookies=self.cookies,
            timeout=self._timeout,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    async def post(self, body: bytes) -> httpx.Response:
        """POST a CWMP message (an empty one has no Content-Type), sending every cookie."""
        headers = {"Content-Type": 'text/xml; charset="utf-8"', "SOAPAction": '""'} if body else {}
        client = self._client or self._new_client()
        try:
            return await client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise SimulatorError(f"HTTP POST to {self._url} failed: {error!r}") from error
        finally:
            self.cookies = client.cookies
            if client is not self._client:
                await client.aclose()

    async def __aenter__(self) -> _Http:
        """Enter the session."""
        return self

    async def __aexit__(self, *_: object) -> None:
        """Close the keep-alive client, if any."""
        if self._client is not None:
            await self._client.aclose()


def _require_loopback(url: str) -> None:
    """Refuse any ACS URL that is not on the loopback interface."""
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the CPE simulator only talks to loopback URLs, not {url!r}")


def _new_id() -> str:
    """A fresh cwmp:ID for a CPE request."""
    return secrets.token_hex(4)


def _parse(body: bytes) -> _Message:
    """Parse an ACS message by local names, whatever its prefixes or CWMP namespace."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise SimulatorError(f"unparseable body from the ACS ({error}): {body[:300]!r}") from error
    soap_body = _child(root, "Body") if _local(root) == "Envelope" else None
    method = None if soap_body is None else next(_children(soap_body), None)
    if method is None:
        raise SimulatorError(f"not a SOAP envelope with a request in its Body: {body[:300]!r}")
    header = _child(root, "Header")
    id_element = None if header is None else _child(header, "ID")
    cwmp_id = None if id_element is None else (id_element.text or "")
    return _Message(_local(method), cwmp_id, method)


def _describe(message: _Message) -> str:
    """A message's method, with the fault code and string if it is a SOAP Fault."""
    if message.method != "Fault":
        return message.method
    found = {_local(e): e.text for e in message.element.iter() if isinstance(e.tag, str)}
    text = found.get("FaultString") or found.get("faultstring")
    return f"a SOAP Fault {found.get('FaultCode')} {text}"


def _valid(value: str, kind: str) -> bool:
    """Whether a value is valid for a parameter of this xsd type."""
    if kind == "xsd:boolean":
        return value in ("0", "1", "true", "false")
    if kind in _INT_RANGES:
        low, high = _INT_RANGES[kind]
        return bool(re.fullmatch(r"-?\d+", value.strip())) and low <= int(value) <= high
    return True


def _local(element: etree._Element) -> str:
    """An element's local name."""
    return etree.QName(element).localname


def _children(element: etree._Element) -> Iterator[etree._Element]:
    """An element's child elements, without comments or processing instructions."""
    return (child for child in element if isinstance(child.tag, str))


def _child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child element with this local name."""
    return next((child for child in _children(element) if _local(child) == name), None)


def _required(element: etree._Element, name: str) -> etree._Element:
    """A child element the ACS's request must have."""
    child = _child(element, name)
    if child is None:
        raise SimulatorError(f"the ACS's {_local(element)} has no {name}")
    return child


def _text(element: etree._Element, name: str) -> str:
    """The text of a child element, empty when it is missing or empty."""
    child = _child(element, name)
    return "" if child is None else (child.text or "")


def _add(parent: etree._Element, tag: str, text: str) -> etree._Element:
    """Append an unqualified child element with this text."""
    child = etree.SubElement(parent, tag)
    child.text = text
    return child


def _array(parent: etree._Element, tag: str, array_type: str) -> etree._Element:
    """Append a SOAP-encoded array element with its soap-enc:arrayType."""
    return etree.SubElement(parent, tag, {f"{{{SOAP_ENC}}}arrayType": array_type})


def _serialize(envelope: etree._Element) -> bytes:
    """The envelope as UTF-8 XML with the declaration real CPEs write."""
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(envelope, encoding="utf-8")
