"""CWMP messages (TR-069 Amendment 6, Annex A) as a tagged union of frozen structs."""

from __future__ import annotations

import enum

import msgspec


class CwmpVersion(enum.Enum):
    """The CWMP namespace a peer speaks; 1.2, 1.3 and 1.4 share `cwmp-1-2` (A.2.1)."""

    V1_0 = "urn:dslforum-org:cwmp-1-0"
    V1_1 = "urn:dslforum-org:cwmp-1-1"
    V1_2 = "urn:dslforum-org:cwmp-1-2"
    V1_3 = "urn:dslforum-org:cwmp-1-3"
    V1_4 = "urn:dslforum-org:cwmp-1-4"

    @property
    def namespace(self) -> str:
        """The XML namespace URI of this version."""
        return self.value


class FaultCode(enum.IntEnum):
    """CWMP fault codes (A.5.1 for ACS faults, A.3.2.x for CPE faults)."""

    METHOD_NOT_SUPPORTED = 8000
    REQUEST_DENIED = 8001
    INTERNAL_ERROR = 8002
    INVALID_ARGUMENTS = 8003
    RESOURCES_EXCEEDED = 8004
    RETRY_REQUEST = 8005
    VERSION_INCOMPATIBLE = 8006
    CPE_METHOD_NOT_SUPPORTED = 9000
    CPE_REQUEST_DENIED = 9001
    CPE_INTERNAL_ERROR = 9002
    CPE_INVALID_ARGUMENTS = 9003
    CPE_RESOURCES_EXCEEDED = 9004
    INVALID_PARAMETER_NAME = 9005
    INVALID_PARAMETER_TYPE = 9006
    INVALID_PARAMETER_VALUE = 9007
    NON_WRITABLE_PARAMETER = 9008


class Message(msgspec.Struct, frozen=True, tag_field="method"):
    """Base of every CWMP message; the tag is the TR-069 method name."""


class DeviceIdStruct(msgspec.Struct, frozen=True):
    """The identity of a CPE (A.3.3.1 DeviceIdStruct)."""

    manufacturer: str
    oui: str
    product_class: str
    serial_number: str


class EventStruct(msgspec.Struct, frozen=True):
    """One Inform event (A.3.3.1 EventStruct): code such as `1 BOOT`, and a command key."""

    event_code: str
    command_key: str = ""


class ParameterValue(msgspec.Struct, frozen=True):
    """A parameter name with its value and `xsi:type` (A.3.2.1 ParameterValueStruct)."""

    name: str
    value: str
    type: str = "xsd:string"


class ParameterInfo(msgspec.Struct, frozen=True):
    """A parameter name and its writability (A.3.2.3 ParameterInfoStruct)."""

    name: str
    writable: bool


class SetParameterValuesFault(msgspec.Struct, frozen=True):
    """A per-parameter fault of SetParameterValues (A.5.2 SetParameterValuesFault)."""

    parameter_name: str
    fault_code: int
    fault_string: str = ""


class ParameterAttribute(msgspec.Struct, frozen=True):
    """A parameter's notification and access list (A.3.2.5 ParameterAttributeStruct)."""

    name: str
    notification: int
    access_list: tuple[str, ...] = ()


class SetParameterAttribute(msgspec.Struct, frozen=True):
    """One change of attributes (A.3.2.4 SetParameterAttributesStruct)."""

    name: str
    notification_change: bool
    notification: int
    access_list_change: bool
    access_list: tuple[str, ...] = ()


class ArgStruct(msgspec.Struct, frozen=True):
    """A name and value argument (A.4.2.2 ArgStruct, used by RequestDownload)."""

    name: str
    value: str


# --- CPE -> ACS requests -----------------------------------------------------


class Inform(Message, frozen=True, tag="Inform"):
    """A CPE opens every session with an Inform (A.3.3.1)."""

    device_id: DeviceIdStruct
    events: tuple[EventStruct, ...]
    max_envelopes: int
    current_time: str | None
    retry_count: int
    parameters: tuple[ParameterValue, ...]


class TransferComplete(Message, frozen=True, tag="TransferComplete"):
    """Outcome of a Download or Upload (A.3.3.2)."""

    command_key: str
    fault_code: int
    fault_string: str
    start_time: str | None
    complete_time: str | None


class GetRPCMethods(Message, frozen=True, tag="GetRPCMethods"):
    """The RPC methods supported by the receiver (A.3.1.1); either side may send it."""


class AutonomousTransferComplete(Message, frozen=True, tag="AutonomousTransferComplete"):
    """A transfer the CPE made on its own initiative ended (A.3.3.3)."""

    announce_url: str
    transfer_url: str
    is_download: bool
    file_type: str
    file_size: int
    target_file_name: str
    fault_code: int
    fault_string: str
    start_time: str | None
    complete_time: str | None


class RequestDownload(Message, frozen=True, tag="RequestDownload"):
    """The CPE asks the ACS to send it a Download of this file type (A.4.2.2)."""

    file_type: str
    arguments: tuple[ArgStruct, ...] = ()


class Kicked(Message, frozen=True, tag="Kicked"):
    """A web-initiated kick (A.4.2.1); this ACS answers it with fault 8000."""

    command: str
    referer: str
    arg: str
    next: str


# --- ACS -> CPE responses ----------------------------------------------------


class InformResponse(Message, frozen=True, tag="InformResponse"):
    """The ACS's answer to an Inform (A.3.3.1)."""

    max_envelopes: int = 1


class TransferCompleteResponse(Message, frozen=True, tag="TransferCompleteResponse"):
    """The ACS's answer to a TransferComplete (A.3.3.2)."""


class GetRPCMethodsResponse(Message, frozen=True, tag="GetRPCMethodsResponse"):
    """The methods the answering side supports (A.3.1.1)."""

    methods: tuple[str, ...]


class AutonomousTransferCompleteResponse(
    Message, frozen=True, tag="AutonomousTransferCompleteResponse"
):
    """The ACS's answer to an AutonomousTransferComplete (A.3.3.3)."""


class RequestDownloadResponse(Message, frozen=True, tag="RequestDownloadResponse"):
    """The ACS's answer to a RequestDownload (A.4.2.2)."""


# --- ACS -> CPE requests -----------------------------------------------------


class GetParameterValues(Message, frozen=True, tag="GetParameterValues"):
    """Read parameter values; names ending in `.` are partial paths (A.3.2.2)."""

    names: tuple[str, ...]


class SetParameterValues(Message, frozen=True, tag="SetParameterValues"):
    """Write parameter values atomically (A.3.2.1)."""

    parameters: tuple[ParameterValue, ...]
    parameter_key: str = ""


class GetParameterNames(Message, frozen=True, tag="GetParameterNames"):
    """Discover parameter names under a path (A.3.2.3)."""

    path: str
    next_level: bool


class Reboot(Message, frozen=True, tag="Reboot"):
    """Reboot the CPE; the next Inform carries `M Reboot` with this key (A.3.2.9)."""

    command_key: str = ""


class FactoryReset(Message, frozen=True, tag="FactoryReset"):
    """Reset the CPE to its factory defaults (A.4.1.6)."""


class GetParameterAttributes(Message, frozen=True, tag="GetParameterAttributes"):
    """Read notification settings and access lists (A.3.2.5)."""

    names: tuple[str, ...]


class SetParameterAttributes(Message, frozen=True, tag="SetParameterAttributes"):
    """Change notification settings and access lists (A.3.2.4)."""

    parameters: tuple[SetParameterAttribute, ...]


class AddObject(Message, frozen=True, tag="AddObject"):
    """Create an instance of a multi-instance object; `object_name` ends in `.` (A.3.2.6)."""

    object_name: str
    parameter_key: str = ""


class DeleteObject(Message, frozen=True, tag="DeleteObject"):
    """Delete an object instance; `object_name` ends in `.` (A.3.2.7)."""

    object_name: str
    parameter_key: str = ""


class Download(Message, frozen=True, tag="Download"):
    """Make the CPE download a file; the outcome comes by TransferComplete (A.3.2.8)."""

    command_key: str
    file_type: str
    url: str
    username: str = ""
    password: str = ""
    file_size: int = 0
    target_file_name: str = ""
    delay_seconds: int = 0
    success_url: str = ""
    failure_url: str = ""


class Upload(Message, frozen=True, tag="Upload"):
    """Make the CPE upload a file to `url`; the outcome comes by TransferComplete (A.4.1.5)."""

    command_key: str
    file_type: str
    url: str
    username: str = ""
    password: str = ""
    delay_seconds: int = 0


class ScheduleInform(Message, frozen=True, tag="ScheduleInform"):
    """Ask for a session in `delay_seconds`, with `M ScheduleInform` and this key (A.4.1.2)."""

    delay_seconds: int
    command_key: str = ""


# --- CPE -> ACS responses ----------------------------------------------------


class GetParameterValuesResponse(Message, frozen=True, tag="GetParameterValuesResponse"):
    """Values read by GetParameterValues (A.3.2.2)."""

    parameters: tuple[ParameterValue, ...]


class SetParameterValuesResponse(Message, frozen=True, tag="SetParameterValuesResponse"):
    """0: applied; 1: applied, takes effect after a reboot or commit (A.3.2.1)."""

    status: int


class GetParameterNamesResponse(Message, frozen=True, tag="GetParameterNamesResponse"):
    """Names found by GetParameterNames (A.3.2.3)."""

    parameters: tuple[ParameterInfo, ...]


class RebootResponse(Message, frozen=True, tag="RebootResponse"):
    """The CPE accepted a Reboot (A.3.2.9)."""


class FactoryResetResponse(Message, frozen=True, tag="FactoryResetResponse"):
    """The CPE accepted a FactoryReset (A.4.1.6)."""


class GetParameterAttributesResponse(Message, frozen=True, tag="GetParameterAttributesResponse"):
    """Attributes read by GetParameterAttributes (A.3.2.5)."""

    parameters: tuple[ParameterAttribute, ...]


class SetParameterAttributesResponse(Message, frozen=True, tag="SetParameterAttributesResponse"):
    """The CPE applied a SetParameterAttributes (A.3.2.4)."""


class AddObjectResponse(Message, frozen=True, tag="AddObjectResponse"):
    """The new instance's number; status 1: applied after a reboot or commit (A.3.2.6)."""

    instance_number: int
    status: int


class DeleteObjectResponse(Message, frozen=True, tag="DeleteObjectResponse"):
    """Status 0: deleted; 1: deleted after a reboot or commit (A.3.2.7)."""

    status: int


class DownloadResponse(Message, frozen=True, tag="DownloadResponse"):
    """Status 0: done already; 1: not done yet, TransferComplete follows (A.3.2.8)."""

    status: int
    start_time: str | None = None
    complete_time: str | None = None


class UploadResponse(Message, frozen=True, tag="UploadResponse"):
    """Status 0: done already; 1: not done yet, TransferComplete follows (A.4.1.5)."""

    status: int
    start_time: str | None = None
    complete_time: str | None = None


class ScheduleInformResponse(Message, frozen=True, tag="ScheduleInformResponse"):
    """The CPE will open a session after the delay (A.4.1.2)."""


# --- Faults ------------------------------------------------------------------


class Fault(Message, frozen=True, tag="Fault"):
    """A SOAP Fault carrying a CWMP fault (A.5); either side may send it."""

    code: int
    string: str
    set_parameter_values_faults: tuple[SetParameterValuesFault, ...] = ()
    faultcode: str = "Client"


AcsRequest = (
    GetParameterValues
    | SetParameterValues
    | GetParameterNames
    | GetParameterAttributes
    | SetParameterAttributes
    | AddObject
    | DeleteObject
    | Reboot
    | FactoryReset
    | Download
    | Upload
    | ScheduleInform
    | GetRPCMethods
)
"""RPCs the ACS sends to a CPE."""

CpeResponse = (
    GetParameterValuesResponse
    | SetParameterValuesResponse
    | GetParameterNamesResponse
    | GetParameterAttributesResponse
    | SetParameterAttributesResponse
    | AddObjectResponse
    | DeleteObjectResponse
    | RebootResponse
    | FactoryResetResponse
    | DownloadResponse
    | UploadResponse
    | ScheduleInformResponse
    | GetRPCMethodsResponse
)
"""Answers a CPE gives to the ACS's RPCs."""

CpeRequest = (
    Inform
    | TransferComplete
    | AutonomousTransferComplete
    | RequestDownload
    | Kicked
    | GetRPCMethods
)
"""Requests a CPE sends to the ACS."""

AcsResponse = (
    InformResponse
    | TransferCompleteResponse
    | AutonomousTransferCompleteResponse
    | RequestDownloadResponse
    | GetRPCMethodsResponse
)
"""Answers the ACS gives to a CPE's requests."""

AnyMessage = (
    Inform
    | TransferComplete
    | AutonomousTransferComplete
    | RequestDownload
    | Kicked
    | GetRPCMethods
    | InformResponse
    | TransferCompleteResponse
    | AutonomousTransferCompleteResponse
    | RequestDownloadResponse
    | GetRPCMethodsResponse
    | GetParameterValues
    | SetParameterValues
    | GetParameterNames
    | GetParameterAttributes
    | SetParameterAttributes
    | AddObject
    | DeleteObject
    | Reboot
    | FactoryReset
    | Download
    | Upload
    | ScheduleInform
    | GetParameterValuesResponse
    | SetParameterValuesResponse
    | GetParameterNamesResponse
    | GetParameterAttributesResponse
    | SetParameterAttributesResponse
    | AddObjectResponse
    | DeleteObjectResponse
    | RebootResponse
    | FactoryResetResponse
    | DownloadResponse
    | UploadResponse
    | ScheduleInformResponse
    | Fault
)

RESPONSE_OF: dict[type[Message], type[Message]] = {
    GetParameterValues: GetParameterValuesResponse,
    SetParameterValues: SetParameterValuesResponse,
    GetParameterNames: GetParameterNamesResponse,
    GetParameterAttributes: GetParameterAttributesResponse,
    SetParameterAttributes: SetParameterAttributesResponse,
    AddObject: AddObjectResponse,
    DeleteObject: DeleteObjectResponse,
    Reboot: RebootResponse,
    FactoryReset: FactoryResetResponse,
    Download: DownloadResponse,
    Upload: UploadResponse,
    ScheduleInform: ScheduleInformResponse,
    GetRPCMethods: GetRPCMethodsResponse,
    Inform: InformResponse,
    TransferComplete: TransferCompleteResponse,
    AutonomousTransferComplete: AutonomousTransferCompleteResponse,
    RequestDownload: RequestDownloadResponse,
}
"""The response type that answers each request type."""


class Envelope(msgspec.Struct, frozen=True):
    """A SOAP envelope with one CWMP message (MaxEnvelopes is always 1 here).

    `id` is the `cwmp:ID` header (A.4.1), None when the peer sent none;
    `hold_requests` is the `cwmp:HoldRequests` header; `supported_versions` the CPE's
    `cwmp:SupportedCWMPVersions` (e.g. "1.0,1.1,1.2,1.3,1.4") and `use_version` the ACS's
    `cwmp:UseCWMPVersion` answer (A.4.1, CWMP 1.4).
    """

    message: AnyMessage
    version: CwmpVersion = CwmpVersion.V1_0
    id: str | None = None
    hold_requests: bool = False
    session_timeout: int | None = None
    supported_versions: str | None = None
    use_version: str | None = None
