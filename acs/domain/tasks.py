"""Task specifications: what an operator asks of a device, validated."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

import msgspec


class TaskSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="type"):
    """Base of every task type; the tag is the task type operators use in the API."""


class GetParams(TaskSpec, frozen=True, tag="get_params"):
    """Read parameters (GetParameterValues); names may be partial paths ending in `.`."""

    names: tuple[str, ...]


class SetParams(TaskSpec, frozen=True, tag="set_params"):
    """Write parameters (SetParameterValues); `types` overrides the known `xsi:type`."""

    values: dict[str, str]
    types: dict[str, str] = {}


class Refresh(TaskSpec, frozen=True, tag="refresh"):
    """Discover names, writability, types and values under a path (`""`: the whole tree)."""

    path: str = ""


class GetAttributes(TaskSpec, frozen=True, tag="get_attributes"):
    """Read notification settings and access lists (GetParameterAttributes)."""

    names: tuple[str, ...]


class AttributeChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A parameter's new notification (0-6) and/or access list; None leaves it as it is."""

    name: str
    notification: int | None = None
    access_list: tuple[str, ...] | None = None


class SetAttributes(TaskSpec, frozen=True, tag="set_attributes"):
    """Change notification settings and access lists (SetParameterAttributes)."""

    attributes: tuple[AttributeChange, ...]


class AddObjectTask(TaskSpec, frozen=True, tag="add_object"):
    """Create an object instance under `object` (ending in `.`), then read its parameters."""

    object: str


class DeleteObjectTask(TaskSpec, frozen=True, tag="delete_object"):
    """Delete the object instance `object` (`X.Y.n.`) and forget its parameters."""

    object: str


class RebootTask(TaskSpec, frozen=True, tag="reboot"):
    """Reboot the device (Reboot); done when it comes back with `M Reboot` or `1 BOOT`."""


class FactoryResetTask(TaskSpec, frozen=True, tag="factory_reset"):
    """Reset the device to factory defaults (FactoryReset); done at its `0 BOOTSTRAP`."""


class DownloadTask(TaskSpec, frozen=True, tag="download"):
    """Make the device download a file (Download); done at the matching TransferComplete.

    `password` is stored sealed (encrypted) and never shown back. With `file_id` (a file
    stored by `POST /api/files`) instead of `url`, the ACS puts a signed URL of its own in
    the RPC when it sends it.
    """

    url: str = ""
    file_type: str = "1 Firmware Upgrade Image"
    file_size: int = 0
    username: str = ""
    password: str = ""
    delay_seconds: int = 0
    target_file_name: str = ""
    file_id: str = ""


class UploadTask(TaskSpec, frozen=True, tag="upload"):
    """Make the device upload a file to the ACS (Upload); done at its TransferComplete."""

    file_type: str = "3 Vendor Configuration File"


class ScheduleInformTask(TaskSpec, frozen=True, tag="schedule_inform"):
    """Ask for a session in `delay_seconds`; done when the `M ScheduleInform` session comes."""

    delay_seconds: int


class GetRpcMethodsTask(TaskSpec, frozen=True, tag="get_rpc_methods"):
    """Ask which RPC methods the device supports (GetRPCMethods)."""


AnyTask = (
    GetParams
    | SetParams
    | Refresh
    | GetAttributes
    | SetAttributes
    | AddObjectTask
    | DeleteObjectTask
    | RebootTask
    | FactoryResetTask
    | DownloadTask
    | UploadTask
    | ScheduleInformTask
    | GetRpcMethodsTask
)

TASK_TYPES: tuple[str, ...] = (
    "get_params",
    "set_params",
    "refresh",
    "get_attributes",
    "set_attributes",
    "add_object",
    "delete_object",
    "reboot",
    "factory_reset",
    "download",
    "upload",
    "schedule_inform",
    "get_rpc_methods",
)

HIDDEN = "********"
"""What operators see in place of a secret."""

SECRET_FIELDS: dict[str, tuple[str, ...]] = {"download": ("password",)}
"""Task fields that hold secrets: sealed before they are stored, hidden when shown."""


class TaskSpecError(ValueError):
    """An operator's task request is malformed; the message says what is wrong."""


_DECODER = msgspec.json.Decoder(AnyTask)
_FILE_TYPE = re.compile(r"^(\d+|X [0-9A-F]{6}) \S.*$")
_URL = re.compile(r"^(https?|ftp)://[^\s/]+", re.IGNORECASE)


def task_type(spec: TaskSpec) -> str:
    """The task type name of a spec, as operators write it."""
    tag = type(spec).__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{type(spec).__name__} is not a concrete task type")
    return tag


def parse_task(kind: str, parameters: dict[str, Any] | None) -> AnyTask:
    """Validate an operator's `{"type", "parameters"}` into a task spec."""
    if kind not in TASK_TYPES:
        raise TaskSpecError(f"unknown task type {kind!r}; known types: {', '.join(TASK_TYPES)}")
    body = dict(parameters or {})
    if kind == "set_params" and isinstance(body.get("values"), dict):
        body["values"] = {name: _as_text(v) for name, v in body["values"].items()}
    body["type"] = kind
    try:
        spec: AnyTask = _DECODER.decode(msgspec.json.encode(body))
    except msgspec.ValidationError as exc:
        raise TaskSpecError(f"invalid parameters for {kind}: {exc}") from exc
    _check(spec)
    return spec


def _as_text(value: object) -> object:
    """Operators may write numbers and booleans as JSON; CWMP carries text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _check(spec: AnyTask) -> None:  # noqa: PLR0912 - one rule per task type reads best flat
    """Rules msgspec's types cannot express."""
    match spec:
        case GetParams(names=names) | GetAttributes(names=names):
            if not names or any(not n or n.strip() != n for n in names):
                raise TaskSpecError(f"{task_type(spec)} needs a non-empty list of names")
        case SetParams(values=values, types=types):
            if not values or any(not n or n.endswith(".") for n in values):
                raise TaskSpecError("set_params needs values for parameter names, not paths")
            if unknown := set(types) - set(values):
                raise TaskSpecError(f"types given for parameters not set: {sorted(unknown)}")
        case Refresh(path=path):
            if path and not path.endswith("."):
                raise TaskSpecError("refresh needs a path ending in '.' ('' for the whole tree)")
        case SetAttributes(attributes=changes):
            _check_attributes(changes)
        case AddObjectTask(object=path) | DeleteObjectTask(object=path):
            if not path.endswith(".") or path.startswith("."):
                raise TaskSpecError(f"{task_type(spec)} needs an object path ending in '.'")
        case DownloadTask(url=url, file_type=file_type, file_id=file_id):
            if bool(url) == bool(file_id):
                raise TaskSpecError("download needs either a url or a file_id")
            if url and not _URL.match(url):
                raise TaskSpecError("download needs an http, https or ftp url")
            if not _FILE_TYPE.match(file_type):
                raise TaskSpecError("file_type must look like '1 Firmware Upgrade Image'")
        case UploadTask(file_type=file_type):
            if not _FILE_TYPE.match(file_type):
                raise TaskSpecError("file_type must look like '3 Vendor Configuration File'")
        case ScheduleInformTask(delay_seconds=delay):
            if delay < 1:
                raise TaskSpecError("schedule_inform needs delay_seconds of at least 1")
        case _:
            pass


def _check_attributes(changes: tuple[AttributeChange, ...]) -> None:
    if not changes:
        raise TaskSpecError("set_attributes needs a non-empty list of attributes")
    for change in changes:
        if change.notification is None and change.access_list is None:
            raise TaskSpecError(f"{change.name}: give notification and/or access_list")
        if change.notification is not None and not 0 <= change.notification <= 6:
            raise TaskSpecError(f"{change.name}: notification must be 0 to 6")


MAX_EXPIRY = 10 * 365 * 24 * 3600
"""The longest `expires_in` (ten years, in seconds)."""

Seconds = Annotated[float, msgspec.Meta(gt=0, le=MAX_EXPIRY)]
"""A task's lifetime in seconds: above 0, at most `MAX_EXPIRY`."""
Instant = Annotated[datetime, msgspec.Meta(tz=True)]
"""An RFC 3339 date and time with its offset (`2026-03-01T12:00:00Z`)."""


class Expiry(msgspec.Struct, frozen=True):
    """When a task never sent stops being due: `expires_in` seconds after it is queued or at
    `expires_at`; neither: no expiry asked for (a default may apply)."""

    expires_in: Seconds | None = None
    expires_at: Instant | None = None

    def deadline(self, at: datetime) -> datetime | None:
        """The instant a task queued at `at` expires, or None; a contradiction or an instant
        already past is an operator's mistake (`TaskSpecError`)."""
        if self.expires_in is not None and self.expires_at is not None:
            raise TaskSpecError("give expires_in or expires_at, not both")
        if self.expires_at is not None:
            if self.expires_at <= at:
                raise TaskSpecError(f"expires_at {self.expires_at.isoformat()} is past")
            return self.expires_at
        if self.expires_in is None:
            return None
        if not 0 < self.expires_in <= MAX_EXPIRY:
            raise TaskSpecError(f"expires_in must be above 0 and at most {MAX_EXPIRY} seconds")
        return at + timedelta(seconds=self.expires_in)


def expiry_of(body: dict[str, Any]) -> Expiry:
    """The `expires_in` and `expires_at` of a task's JSON object (other keys ignored)."""
    fields = {k: body[k] for k in ("expires_in", "expires_at") if body.get(k) is not None}
    try:
        return msgspec.convert(fields, Expiry)
    except msgspec.ValidationError as exc:
        raise TaskSpecError(f"invalid expiry: {exc}") from exc


def shown_parameters(spec: TaskSpec) -> dict[str, Any]:
    """A task's parameters as operators see them: its fields, secrets hidden."""
    body = msgspec.to_builtins(spec)
    if not isinstance(body, dict):
        raise TypeError("a task spec encodes as an object")
    body.pop("type", None)
    for name in SECRET_FIELDS.get(task_type(spec), ()):
        if body.get(name):
            body[name] = HIDDEN
    return body
