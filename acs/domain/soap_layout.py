"""The arguments of each CWMP method (TR-069 Annex A): element names, schema order and kinds.

The reader and the writer both follow these tables, so they cannot disagree on a name or an
order. The n-th argument of a shape is the n-th field of its struct. When reading, an absent
element takes the argument's default, else the field's default, else the kind's empty value,
unless it is required. TransferComplete, AutonomousTransferComplete (whose FaultStruct is
flattened into two fields) and Fault (a SOAP Fault) are read and written by hand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import msgspec

from acs.domain.messages import (
    AddObject,
    AddObjectResponse,
    ArgStruct,
    AutonomousTransferCompleteResponse,
    DeleteObject,
    DeleteObjectResponse,
    DeviceIdStruct,
    Download,
    DownloadResponse,
    EventStruct,
    FactoryReset,
    FactoryResetResponse,
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
    SetParameterValuesResponse,
    TransferCompleteResponse,
    Upload,
    UploadResponse,
)


class Kind(enum.Enum):
    """How one simple argument travels."""

    KEY = enum.auto()  # a string kept exactly as sent: keys, credentials, free arguments
    TEXT = enum.auto()  # a string without its surrounding whitespace: names, URLs, types
    INT = enum.auto()  # an xsd:int or xsd:unsignedInt, padding tolerated
    BOOL = enum.auto()  # an xsd:boolean: 1/0/true/false in any case
    TIME = enum.auto()  # an xsd:dateTime kept as sent; None travels as the Unknown Time
    STRINGS = enum.auto()  # an xsd:string[n] array
    PARAMETER_VALUES = enum.auto()  # a cwmp:ParameterValueStruct[n] array


KEY = Kind.KEY
TEXT = Kind.TEXT
INT = Kind.INT
BOOL = Kind.BOOL
TIME = Kind.TIME
STRINGS = Kind.STRINGS
PARAMETER_VALUES = Kind.PARAMETER_VALUES


@dataclass(frozen=True, slots=True)
class Arg:
    """One child element: its name, its kind, and what its absence means."""

    name: str
    kind: Kind | Shape | ArrayOf
    required: bool = False
    default: Any = msgspec.NODEFAULT


@dataclass(frozen=True, slots=True)
class Shape:
    """A struct or method element: the struct it reads into and its arguments in order."""

    struct: type[msgspec.Struct]
    args: tuple[Arg, ...] = ()


@dataclass(frozen=True, slots=True)
class ArrayOf:
    """A SOAP array of CWMP structs, written as `cwmp:<item>[n]`."""

    item: str
    shape: Shape


def _array(item: str, struct: type[msgspec.Struct], *args: Arg) -> ArrayOf:
    """An array of `item` structs read into `struct`."""
    return ArrayOf(item, Shape(struct, args))


_NAME = Arg("Name", TEXT, required=True)
_STATUS = Arg("Status", INT, required=True)
_COMMAND_KEY = Arg("CommandKey", KEY)
_PARAMETER_KEY = Arg("ParameterKey", KEY)
_CREDENTIALS = (Arg("Username", KEY), Arg("Password", KEY))
_TIMES = (Arg("StartTime", TIME), Arg("CompleteTime", TIME))

EVENTS = _array("EventStruct", EventStruct, Arg("EventCode", TEXT), _COMMAND_KEY)
PARAMETER_INFOS = _array("ParameterInfoStruct", ParameterInfo, _NAME, Arg("Writable", BOOL))
PARAMETER_ATTRIBUTES = _array(
    "ParameterAttributeStruct",
    ParameterAttribute,
    _NAME,
    Arg("Notification", INT),
    Arg("AccessList", STRINGS),
)
SET_PARAMETER_ATTRIBUTES = _array(
    "SetParameterAttributesStruct",
    SetParameterAttribute,
    _NAME,
    Arg("NotificationChange", BOOL),
    Arg("Notification", INT),
    Arg("AccessListChange", BOOL),
    Arg("AccessList", STRINGS),
)
ARGS = _array("ArgStruct", ArgStruct, _NAME, Arg("Value", KEY))
DEVICE_ID = Shape(
    DeviceIdStruct,
    (
        Arg("Manufacturer", TEXT),
        Arg("OUI", TEXT, required=True),
        Arg("ProductClass", TEXT),
        Arg("SerialNumber", TEXT, required=True),
    ),
)

SHAPES: tuple[Shape, ...] = (
    Shape(
        Inform,
        (
            Arg("DeviceId", DEVICE_ID, required=True),
            Arg("Event", EVENTS),
            Arg("MaxEnvelopes", INT, default=1),
            Arg("CurrentTime", TIME),
            Arg("RetryCount", INT),
            Arg("ParameterList", PARAMETER_VALUES),
        ),
    ),
    Shape(RequestDownload, (Arg("FileType", TEXT), Arg("FileTypeArg", ARGS))),
    Shape(Kicked, (Arg("Command", TEXT), Arg("Referer", TEXT), Arg("Arg", KEY), Arg("Next", TEXT))),
    Shape(GetRPCMethods),
    Shape(InformResponse, (Arg("MaxEnvelopes", INT),)),
    Shape(TransferCompleteResponse),
    Shape(AutonomousTransferCompleteResponse),
    Shape(RequestDownloadResponse),
    Shape(GetRPCMethodsResponse, (Arg("MethodList", STRINGS),)),
    Shape(GetParameterValues, (Arg("ParameterNames", STRINGS),)),
    Shape(SetParameterValues, (Arg("ParameterList", PARAMETER_VALUES), _PARAMETER_KEY)),
    Shape(GetParameterNames, (Arg("ParameterPath", TEXT), Arg("NextLevel", BOOL))),
    Shape(GetParameterAttributes, (Arg("ParameterNames", STRINGS),)),
    Shape(SetParameterAttributes, (Arg("ParameterList", SET_PARAMETER_ATTRIBUTES),)),
    Shape(AddObject, (Arg("ObjectName", TEXT), _PARAMETER_KEY)),
    Shape(DeleteObject, (Arg("ObjectName", TEXT), _PARAMETER_KEY)),
    Shape(Reboot, (_COMMAND_KEY,)),
    Shape(FactoryReset),
    Shape(
        Download,
        (
            _COMMAND_KEY,
            Arg("FileType", TEXT),
            Arg("URL", TEXT),
            *_CREDENTIALS,
            Arg("FileSize", INT),
            Arg("TargetFileName", TEXT),
            Arg("DelaySeconds", INT),
            Arg("SuccessURL", TEXT),
            Arg("FailureURL", TEXT),
        ),
    ),
    Shape(
        Upload,
        (
            _COMMAND_KEY,
            Arg("FileType", TEXT),
            Arg("URL", TEXT),
            *_CREDENTIALS,
            Arg("DelaySeconds", INT),
        ),
    ),
    Shape(ScheduleInform, (Arg("DelaySeconds", INT), _COMMAND_KEY)),
    Shape(GetParameterValuesResponse, (Arg("ParameterList", PARAMETER_VALUES),)),
    Shape(SetParameterValuesResponse, (_STATUS,)),
    Shape(GetParameterNamesResponse, (Arg("ParameterList", PARAMETER_INFOS),)),
    Shape(GetParameterAttributesResponse, (Arg("ParameterList", PARAMETER_ATTRIBUTES),)),
    Shape(SetParameterAttributesResponse),
    Shape(AddObjectResponse, (Arg("InstanceNumber", INT, required=True), _STATUS)),
    Shape(DeleteObjectResponse, (_STATUS,)),
    Shape(RebootResponse),
    Shape(FactoryResetResponse),
    Shape(DownloadResponse, (_STATUS, *_TIMES)),
    Shape(UploadResponse, (_STATUS, *_TIMES)),
    Shape(ScheduleInformResponse),
)
"""Every method but TransferComplete, AutonomousTransferComplete and Fault, by its shape."""


REQUIRED: Any = object()
"""The absent value of a required argument."""

_EMPTY: dict[Kind, Any] = {
    KEY: "",
    TEXT: "",
    INT: 0,
    BOOL: False,
    TIME: None,
    STRINGS: (),
    PARAMETER_VALUES: (),
}


def method_name(struct: type[msgspec.Struct]) -> str:
    """The CWMP method name of a message struct: its msgspec tag."""
    return str(struct.__struct_config__.tag)


def absent_value(shape: Shape, index: int) -> Any:
    """What an absent n-th argument of a shape reads as; REQUIRED when it must be present."""
    arg = shape.args[index]
    if arg.required or isinstance(arg.kind, Shape):
        return REQUIRED
    if arg.default is not msgspec.NODEFAULT:
        return arg.default
    field = msgspec.structs.fields(shape.struct)[index]
    if field.default is not msgspec.NODEFAULT:
        return field.default
    return () if isinstance(arg.kind, ArrayOf) else _EMPTY[arg.kind]
