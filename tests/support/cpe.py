"""A simulated TR-069 CPE (a Huawei BM632w home gateway) that talks CWMP to an ACS over HTTP.

It is independent of the ``acs`` package on purpose: it builds and parses its own SOAP with lxml,
so an end-to-end test checks the ACS against the protocol rather than against itself. The pure
parts (``build_inform``, ``accept_inform_response``, ``answer``, ``build_request``,
``accept_request_answer``, ``end_session``) need no network; ``run_session`` adds the HTTP of
one CWMP session (TR-069 3.7) and then carries out the file transfers the ACS asked for.

The other modules: ``cpe_soap`` (envelopes), ``cpe_model`` (the parameter tree), ``cpe_rpcs``
(answers to ACS requests), ``cpe_requests`` (requests to the ACS), ``cpe_transfers`` (Download
and Upload), ``cpe_http`` (the session's HTTP), ``cpe_auth`` (Basic and Digest answers to the
ACS's challenges) and ``connection_request_server``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import httpx
from lxml import etree

from tests.support.cpe_auth import CpeAuth
from tests.support.cpe_http import AcsConnection, require_loopback
from tests.support.cpe_model import (
    DEFAULT_DATA_MODEL,
    PARAMETER_KEY,
    PERIODIC_INFORM_INTERVAL,
    ParameterAttributes,
    ParameterTree,
    factory_image,
    genieacs_device_id,
    load,
)
from tests.support.cpe_requests import (
    AutonomousTransferComplete,
    CpeRequest,
    GetRPCMethods,
    Kicked,
    RequestDownload,
    TransferComplete,
)
from tests.support.cpe_rpcs import SUPPORTED_METHODS, Responder, SessionActions
from tests.support.cpe_session import SessionLog, run_cwmp_session
from tests.support.cpe_soap import (
    CWMP_1_0,
    VERSION_NAMESPACES,
    CpeFault,
    Message,
    SimulatorError,
    add,
    array,
    describe,
    envelope,
    new_id,
    parse,
    serialize,
)
from tests.support.cpe_transfers import (
    FIRMWARE,
    CompletedTransfer,
    Transfer,
    TransferSettings,
    perform,
    timestamp,
)

__all__ = [
    "CWMP_1_0",
    "DEFAULT_DATA_MODEL",
    "SUPPORTED_METHODS",
    "AutonomousTransferComplete",
    "CompletedTransfer",
    "CpeAuth",
    "CpeFault",
    "CpeRequest",
    "GetRPCMethods",
    "Kicked",
    "ParameterAttributes",
    "RequestDownload",
    "SessionLog",
    "SimulatedCpe",
    "SimulatorError",
    "Transfer",
    "TransferComplete",
    "genieacs_device_id",
]

MANAGEMENT: Final = "InternetGatewayDevice.ManagementServer."
SOFTWARE_VERSION: Final = "InternetGatewayDevice.DeviceInfo.SoftwareVersion"
CONNECTION_REQUEST_URL: Final = MANAGEMENT + "ConnectionRequestURL"
CONNECTION_REQUEST_USERNAME: Final = MANAGEMENT + "ConnectionRequestUsername"
CONNECTION_REQUEST_PASSWORD: Final = MANAGEMENT + "ConnectionRequestPassword"
# TR-098 "Forced Inform" parameters (TR-069 Table 7 / TR-098), in the order a BM632w sends them.
INFORM_PARAMETERS: Final[tuple[str, ...]] = (
    "InternetGatewayDevice.DeviceSummary",
    "InternetGatewayDevice.DeviceInfo.SpecVersion",
    "InternetGatewayDevice.DeviceInfo.HardwareVersion",
    SOFTWARE_VERSION,
    "InternetGatewayDevice.DeviceInfo.ProvisioningCode",
    PARAMETER_KEY,
    CONNECTION_REQUEST_URL,
    PERIODIC_INFORM_INTERVAL,
)
_EXTERNAL_IP: Final = re.compile(
    r"InternetGatewayDevice\.WANDevice\.\d+\.WANConnectionDevice\.\d+"
    r"\.WANIPConnection\.\d+\.ExternalIPAddress"
)


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
        supported_versions: str | None = None,
        session_timeout: int | None = None,
        gzip: bool = False,
        charset: str = "utf-8",
        connection_request_username: str | None = None,
        connection_request_password: str | None = None,
        never_complete_transfers: bool = False,
        firmware_version: str | None = None,
        download_fault: int | None = None,
        upload_fault: int | None = None,
        acs_auth: httpx.Auth | None = None,
        acs_username: str | None = None,
        acs_password: str = "",
        acs_transport: httpx.AsyncBaseTransport | None = None,
        transfer_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        require_loopback(acs_url)
        model = load(data_model)
        self.acs_url = acs_url
        self.cwmp_namespace = cwmp_namespace
        self.new_connection_per_request = new_connection_per_request
        self.max_exchanges = max_exchanges
        self.timeout = timeout
        self.supported_versions = supported_versions
        self.session_timeout = session_timeout
        self.gzip = gzip
        self.charset = charset
        self.never_complete_transfers = never_complete_transfers
        self.firmware_version = firmware_version
        self.download_fault = download_fault
        self.upload_fault = upload_fault
        if acs_auth is None and acs_username is not None:
            acs_auth = CpeAuth(acs_username, acs_password)
        self.acs_auth = acs_auth
        """How the CPE answers the ACS's challenges (`acs_username`: Digest or Basic)."""
        self.acs_transport = acs_transport
        self.transfer_transport = transfer_transport
        self.manufacturer = model.device.get("Manufacturer", "")
        self.oui = model.device.get("OUI", "") if oui is None else oui
        self.product_class = (
            model.device.get("ProductClass", "") if product_class is None else product_class
        )
        self.serial = serial
        identity = {"OUI": self.oui, "ProductClass": self.product_class, "SerialNumber": serial}
        credentials = {
            CONNECTION_REQUEST_USERNAME: connection_request_username,
            CONNECTION_REQUEST_PASSWORD: connection_request_password,
        }
        extra = {name: value for name, value in credentials.items() if value is not None}
        self._image = factory_image(model, identity, {**(overrides or {}), **extra})
        self.model = ParameterTree.from_image(self._image)
        self.bootstrapped = False
        self.reboot_command_key: str | None = None
        self.scheduled_inform_keys: list[str] = []
        self.value_changes: dict[str, None] = {}
        self.queued_requests: list[CpeRequest] = []
        self.accepted_transfers: list[Transfer] = []
        self.completed_transfers: list[CompletedTransfer] = []
        self.unreported_transfers: list[Transfer] = []
        self.in_session = False
        self.disconnect_after: str | None = None
        """An RPC method: the next time the ACS sends it, the CPE takes it and drops the
        connection without answering (once)."""
        self.disconnect_forgets = False
        """Whether what that RPC asked for is lost with the connection (the CPE crashed
        before acting on it) rather than carried out when the session ends."""
        self._actions = SessionActions()
        self._namespace = cwmp_namespace

    @property
    def values(self) -> dict[str, tuple[str, str]]:
        """Every parameter's (value, xsd type); a test may change it in place."""
        return self.model.values

    @property
    def writable(self) -> dict[str, bool]:
        """Whether each parameter is writable."""
        return self.model.writable

    @property
    def objects(self) -> dict[str, bool]:
        """Every object path (ending in '.') and whether it is writable."""
        return self.model.objects

    @property
    def attributes(self) -> dict[str, ParameterAttributes]:
        """The attributes set on parameters; the others have the defaults."""
        return self.model.attributes

    @property
    def device_id(self) -> str:
        """The GenieACS-compatible id the ACS should give this device."""
        return genieacs_device_id(self.oui, self.product_class, self.serial)

    @property
    def connection_request_username(self) -> str:
        """The user name a connection request must authenticate with (from the data model)."""
        return self.values.get(CONNECTION_REQUEST_USERNAME, ("", ""))[0]

    @property
    def connection_request_password(self) -> str:
        """The password a connection request must authenticate with (from the data model)."""
        return self.values.get(CONNECTION_REQUEST_PASSWORD, ("", ""))[0]

    def set_value(self, name: str, value: str) -> None:
        """Set a parameter as if the device or a test changed it, keeping its xsd type."""
        kind = self.values[name][1] if name in self.values else "xsd:string"
        self.values[name] = (value, kind)

    def change_value(self, name: str, value: str) -> None:
        """A change made on the device itself: notified by 4 VALUE CHANGE if Notification > 0."""
        self.set_value(name, value)
        if self.model.attributes_of(name).notification in (1, 2):
            self.value_changes[name] = None

    def queue_request(self, request: CpeRequest) -> None:
        """Send this request to the ACS in the next session, before the empty POST."""
        self.queued_requests.append(request)

    def queue_autonomous_transfer_complete(
        self,
        transfer_url: str,
        *,
        is_download: bool = True,
        file_type: str = FIRMWARE,
        file_size: int = 0,
        target_file_name: str = "",
        fault_code: int = 0,
        fault_string: str = "",
        announce_url: str = "",
    ) -> AutonomousTransferComplete:
        """Queue an AutonomousTransferComplete for a transfer the CPE made on its own."""
        now = timestamp()
        request = AutonomousTransferComplete(
            transfer_url=transfer_url,
            announce_url=announce_url,
            is_download=is_download,
            file_type=file_type,
            file_size=file_size,
            target_file_name=target_file_name,
            fault_code=fault_code,
            fault_string=fault_string,
            start_time=now,
            complete_time=now,
        )
        self.queue_request(request)
        return request

    def next_events(self, trigger: str | None = None) -> list[str]:
        """Undelivered events (TR-069 3.7.1.5) + `trigger`; "2 PERIODIC" if nothing else."""
        events: list[str] = []
        if not self.bootstrapped:
            events += ["0 BOOTSTRAP", "1 BOOT"]
        if self.reboot_command_key is not None:
            events += ["1 BOOT", "M Reboot"]
        for done in self.completed_transfers:
            events += done.events
        if self.scheduled_inform_keys:
            events += ["3 SCHEDULED"] + ["M ScheduleInform"] * len(self.scheduled_inform_keys)
        if self.value_changes:
            events.append("4 VALUE CHANGE")
        events += [request.event for request in self.queued_requests if request.event]
        if trigger is not None or not events:
            events.append(trigger or "2 PERIODIC")
        return [
            code for n, code in enumerate(events) if code.startswith("M ") or code not in events[:n]
        ]

    def build_inform(
        self, events: Sequence[str], *, cwmp_id: str | None = None, now: datetime | None = None
    ) -> bytes:
        """The Inform request opening a session with these event codes (TR-069 A.3.3.1)."""
        headers = []
        if self.session_timeout is not None:
            headers.append(("SessionTimeout", str(self.session_timeout), "0"))
        if self.supported_versions is not None:
            headers.append(("SupportedCWMPVersions", self.supported_versions, "0"))
        root, body = envelope(self.cwmp_namespace, cwmp_id or new_id(), headers)
        inform = etree.SubElement(body, f"{{{self.cwmp_namespace}}}Inform")
        device_id = etree.SubElement(inform, "DeviceId")
        for tag, text in (
            ("Manufacturer", self.manufacturer),
            ("OUI", self.oui),
            ("ProductClass", self.product_class),
            ("SerialNumber", self.serial),
        ):
            add(device_id, tag, text)
        event_list = array(inform, "Event", f"cwmp:EventStruct[{len(events)}]")
        keys = self._command_keys()
        for code in events:
            event = etree.SubElement(event_list, "EventStruct")
            add(event, "EventCode", code)
            add(event, "CommandKey", keys.get(code, []).pop(0) if keys.get(code) else "")
        add(inform, "MaxEnvelopes", "1")
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        add(inform, "CurrentTime", moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        add(inform, "RetryCount", "0")
        self._responder().parameter_list(inform, self.inform_parameters())
        return serialize(root, self.charset)

    def _command_keys(self) -> dict[str, list[str]]:
        """The CommandKeys of the "M ..." events, in the order they are reported."""
        transfers = [done for done in self.completed_transfers if not done.announced]
        return {
            "M Reboot": [self.reboot_command_key or ""],
            "M ScheduleInform": list(self.scheduled_inform_keys),
            "M Download": [d.transfer.command_key for d in transfers if "M Download" in d.events],
            "M Upload": [d.transfer.command_key for d in transfers if "M Upload" in d.events],
        }

    def inform_parameters(self) -> list[str]:
        """The Inform's parameters: the forced ones, the first WAN IP and changed ones."""
        names = [name for name in INFORM_PARAMETERS if name in self.values]
        external_ip = next((name for name in self.values if _EXTERNAL_IP.fullmatch(name)), None)
        names += [] if external_ip is None else [external_ip]
        return list(dict.fromkeys([*names, *(n for n in self.value_changes if n in self.values)]))

    def accept_inform_response(self, body: bytes, events: Sequence[str]) -> str | None:
        """Check the ACS's answer to the Inform, mark its events delivered, return its cwmp:ID."""
        return self.accept_inform_message(parse(body), events)

    def accept_inform_message(self, message: Message, events: Sequence[str]) -> str | None:
        """Mark the Inform's events delivered; switch to the version the ACS chose, if any."""
        if message.method != "InformResponse":
            raise SimulatorError(f"expected an InformResponse, got {describe(message)}")
        offered = (self.supported_versions or "").replace(" ", "").split(",")
        if message.use_version in offered and message.use_version in VERSION_NAMESPACES:
            self._namespace = VERSION_NAMESPACES[message.use_version]
        if "0 BOOTSTRAP" in events:
            self.bootstrapped = True
        if "1 BOOT" in events or "M Reboot" in events:
            self.reboot_command_key = None
        if "3 SCHEDULED" in events or "M ScheduleInform" in events:
            self.scheduled_inform_keys.clear()
        if "4 VALUE CHANGE" in events:
            self.value_changes.clear()
        if "7 TRANSFER COMPLETE" in events:
            for done in self.completed_transfers:
                done.announced = True
        return message.cwmp_id

    def answer(self, request_xml: bytes) -> bytes:
        """The CPE's response (or CWMP fault) to one ACS request."""
        return self.respond(parse(request_xml))[0]

    def respond(self, message: Message) -> tuple[bytes, int | None]:
        """The CPE's response to a parsed ACS request, and the fault code if it is a fault."""
        return self._responder().respond(message)

    def _responder(self) -> Responder:
        """The answering side, on this device's tree and this session's actions."""
        return Responder(self.model, self._actions, self._namespace, self.charset)

    def requests_for(self, events: Sequence[str]) -> list[CpeRequest]:
        """The requests a session with these events sends before its empty POST."""
        transfers = [done.request() for done in self.completed_transfers]
        reports = transfers if "7 TRANSFER COMPLETE" in events else []
        queued = [r for r in self.queued_requests if r.event is None or r.event in events]
        return [*reports, *queued]

    def build_request(self, request: CpeRequest, *, cwmp_id: str | None = None) -> bytes:
        """The SOAP envelope of a CPE request."""
        root, body = envelope(self._namespace, cwmp_id or new_id())
        request.write(etree.SubElement(body, f"{{{self._namespace}}}{request.method}"))
        return serialize(root, self.charset)

    def accept_request_answer(self, request: CpeRequest, body: bytes) -> str | int:
        """Check the ACS's answer to a CPE request: its method name, or its fault code."""
        message = parse(body)
        if message.method == "Fault":
            code = message.fault_code
            if not request.retried:
                self._dequeue(request)
            return "Fault" if code is None else code
        if message.method != request.response:
            raise SimulatorError(f"expected a {request.response}, got {describe(message)}")
        self._dequeue(request)
        return message.method

    def _dequeue(self, request: CpeRequest) -> None:
        """Forget a request the ACS has answered."""
        for index, queued in enumerate(self.queued_requests):
            if queued is request:
                del self.queued_requests[index]
                return
        for index, done in enumerate(self.completed_transfers):
            if request == done.request():
                del self.completed_transfers[index]
                return

    def end_session(self, *, carry_out: bool = True) -> None:
        """Close the session: what the ACS asked for in it (reset, reboot ...) takes effect,
        unless `carry_out` is false (the CPE lost it)."""
        actions = self._actions if carry_out else SessionActions()
        if actions.factory_reset:
            self.model = ParameterTree.from_image(self._image)
            self.bootstrapped = False
            self.reboot_command_key = None
            self.scheduled_inform_keys.clear()
            self.value_changes.clear()
        else:
            if actions.reboot_key is not None:
                self.reboot_command_key = actions.reboot_key
            self.scheduled_inform_keys += actions.scheduled
            if self.never_complete_transfers:
                self.unreported_transfers += actions.transfers
            else:
                self.accepted_transfers += actions.transfers
        self._actions = SessionActions()
        self._namespace = self.cwmp_namespace

    async def perform_transfers(self) -> list[CompletedTransfer]:
        """Carry out the accepted Downloads and Uploads; their TransferCompletes come next."""
        settings = TransferSettings(
            firmware_version=self.firmware_version,
            download_fault=self.download_fault,
            upload_fault=self.upload_fault,
            transport=self.transfer_transport,
            timeout=self.timeout,
        )
        completed = []
        while self.accepted_transfers:
            done = await perform(self.accepted_transfers.pop(0), self.values, settings)
            if done.firmware_version is not None:
                self.set_value(SOFTWARE_VERSION, done.firmware_version)
            self.completed_transfers.append(done)
            completed.append(done)
        return completed

    async def run_session(
        self, events: Sequence[str] | None = None, *, requests: Sequence[CpeRequest] = ()
    ) -> SessionLog:
        """Run one CWMP session (TR-069 3.7) with these events (default `next_events()`)."""
        if self.in_session:
            raise SimulatorError("the CPE is already in a session")
        self.in_session = True
        try:
            return await run_cwmp_session(self, events, requests)
        finally:
            self.in_session = False

    def begin_session(self, requests: Sequence[CpeRequest] = ()) -> None:
        """Start a session: nothing asked by the ACS yet, these requests queued."""
        self._actions, self._namespace = SessionActions(), self.cwmp_namespace
        self.queued_requests += requests

    def connection(self) -> AcsConnection:
        """The HTTP of one session to the ACS, with this CPE's protocol options."""
        return AcsConnection(
            self.acs_url,
            new_connection_per_request=self.new_connection_per_request,
            timeout=self.timeout,
            charset=self.charset,
            compress=self.gzip,
            auth=self.acs_auth,
            transport=self.acs_transport,
        )
