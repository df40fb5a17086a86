"""Device events: the immutable, versioned facts the event store keeps forever.

Rules for changing this module: add fields only with defaults, never change a field's meaning,
and give a new version a new class and topic (`InformReceived.v2`), keeping the old one
readable. `tests/unit/test_event_replay.py` replays a fixed stream of stored events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from acs.domain.campaigns import BulkDefinition, CampaignDefinition
from acs.domain.messages import ArgStruct, ParameterValue, SetParameterValuesFault
from acs.domain.presets import PresetDefinition
from acs.domain.tasks import AnyTask, AttributeChange


class DeviceEvent(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Base of every device event: the aggregate id, its version after the event, and when.

    Fields at their default are not stored, so a new field must have a default meaning
    "as before this field existed"."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime


class InformReceived(DeviceEvent, frozen=True, kw_only=True):
    """A CPE opened a session with an Inform (TR-069 A.3.3.1).

    `parameters` holds only values that differ from what was known (all of them on the
    first Inform and after `0 BOOTSTRAP`). The identity (`device_id` … `serial_number`) is
    recorded on the first Inform, after `0 BOOTSTRAP` and when the manufacturer changes;
    empty otherwise, meaning unchanged.
    """

    event_codes: tuple[str, ...]
    device_id: str = ""
    manufacturer: str = ""
    oui: str = ""
    product_class: str = ""
    serial_number: str = ""
    command_keys: dict[str, str] = {}
    parameters: tuple[ParameterValue, ...] = ()
    source_ip: str = ""
    cpe_time: str | None = None
    session_id: str = ""
    cwmp_version: str = ""
    retry_count: int = 0


class TaskQueued(DeviceEvent, frozen=True, kw_only=True):
    """An operator (the actor) asked for a task; `expires_at`: when it stops being due if it
    was never sent (None: never)."""

    task_id: str
    task: AnyTask
    actor: str
    expires_at: datetime | None = None


class RpcSent(DeviceEvent, frozen=True, kw_only=True):
    """The ACS sent the RPC that carries out a task, in a session."""

    task_id: str
    method: str
    session_id: str
    command_key: str = ""
    request: dict[str, Any] = {}


class RpcAnswered(DeviceEvent, frozen=True, kw_only=True):
    """The CPE answered an RPC; `parameters` are the values known true after the answer.

    `writable` is what GetParameterNames said of each name; `scope`, when set, is a path
    whose parameters are exactly `parameters` now (others under it are gone);
    `attributes` are notification and access-list settings known after the answer.
    """

    task_id: str
    method: str
    result: dict[str, Any] = {}
    parameters: tuple[ParameterValue, ...] = ()
    writable: dict[str, bool] = {}
    scope: str | None = None
    attributes: tuple[AttributeChange, ...] = ()


class RpcFaulted(DeviceEvent, frozen=True, kw_only=True):
    """The CPE answered an RPC with a CWMP fault (9000-9899)."""

    task_id: str
    method: str
    fault_code: int
    fault_string: str
    parameter_faults: tuple[SetParameterValuesFault, ...] = ()


class TaskAdvanced(DeviceEvent, frozen=True, kw_only=True):
    """A multi-step task moved to its next RPC, with what its earlier steps found."""

    task_id: str
    stage: int
    path: str = ""
    names: dict[str, bool] = {}
    instance: int = 0


class TaskCompleted(DeviceEvent, frozen=True, kw_only=True):
    """A task reached its goal; `result` is what operators see."""

    task_id: str
    result: dict[str, Any] = {}


class TaskFaulted(DeviceEvent, frozen=True, kw_only=True):
    """A task failed for good; `fault` carries the code and string."""

    task_id: str
    fault: dict[str, Any] = {}


class TaskExpired(DeviceEvent, frozen=True, kw_only=True):
    """A task never sent was still pending when its expiry (`expires_at`) passed; it ends
    without its RPC ever going out."""

    task_id: str
    expires_at: datetime


class TransferReported(DeviceEvent, frozen=True, kw_only=True):
    """The CPE reported the end of a file transfer (TransferComplete, A.3.3.2)."""

    command_key: str
    fault_code: int = 0
    fault_string: str = ""
    start_time: str | None = None
    complete_time: str | None = None


class AutonomousTransferReported(DeviceEvent, frozen=True, kw_only=True):
    """The CPE reported a transfer it made on its own (AutonomousTransferComplete, A.3.3.3)."""

    announce_url: str = ""
    transfer_url: str = ""
    is_download: bool = True
    file_type: str = ""
    file_size: int = 0
    target_file_name: str = ""
    fault_code: int = 0
    fault_string: str = ""
    start_time: str | None = None
    complete_time: str | None = None


class DownloadRequested(DeviceEvent, frozen=True, kw_only=True):
    """The CPE asked for a file of a type (RequestDownload, A.4.2.1)."""

    file_type: str
    arguments: tuple[ArgStruct, ...] = ()


class FileReceived(DeviceEvent, frozen=True, kw_only=True):
    """A file the device uploaded for a task arrived and was stored."""

    task_id: str
    file_id: str
    size: int
    sha256: str


class ConnectionRequestCredentialsSet(DeviceEvent, frozen=True, kw_only=True):
    """An operator set the credentials the ACS uses for connection requests.

    `sealed_password` is encrypted with the ACS's secret key; it is never shown back.
    """

    username: str
    sealed_password: str
    actor: str


class CwmpCredentialsSet(DeviceEvent, frozen=True, kw_only=True):
    """An operator set the credentials the CPE must authenticate its sessions with
    (TR-069 3.4.4: ManagementServer.Username and .Password).

    `sealed_password` is encrypted with the ACS's secret key; it is never shown back.
    `device_id` is the public id when this event starts the aggregate (credentials set
    before the device's first Inform); empty otherwise.
    """

    username: str
    sealed_password: str
    actor: str
    device_id: str = ""


class CwmpCredentialsCleared(DeviceEvent, frozen=True, kw_only=True):
    """An operator removed the CPE's own credentials (the configured ones apply again)."""

    actor: str


class ConnectionRequested(DeviceEvent, frozen=True, kw_only=True):
    """The ACS asked the CPE to open a session (TR-069 3.2.2), with the outcome."""

    url: str
    outcome: str
    detail: str = ""
    task_id: str = ""


class DeviceTagged(DeviceEvent, frozen=True, kw_only=True):
    """An operator (the actor) put a tag on the device."""

    tag: str
    actor: str


class DeviceUntagged(DeviceEvent, frozen=True, kw_only=True):
    """An operator (the actor) took a tag off the device."""

    tag: str
    actor: str


class PresetFaulted(DeviceEvent, frozen=True, kw_only=True):
    """A preset could not be planned for the device: its provisioner failed, took too long
    or returned something that is not desired state (`reason`). It backs off like a fault."""

    name: str
    reason: str


class PresetSaved(DeviceEvent, frozen=True, kw_only=True):
    """An operator created or changed a preset (its own aggregate, keyed by its name)."""

    name: str
    definition: PresetDefinition
    actor: str


class PresetDeleted(DeviceEvent, frozen=True, kw_only=True):
    """An operator deleted a preset."""

    name: str
    actor: str


class CampaignCreated(DeviceEvent, frozen=True, kw_only=True):
    """An operator started a firmware campaign (its own aggregate, keyed by its id)."""

    campaign_id: str
    definition: CampaignDefinition
    actor: str


class CampaignPaused(DeviceEvent, frozen=True, kw_only=True):
    """A campaign was paused: by an operator, or by its stop rule (actor `campaign:<id>`)."""

    campaign_id: str
    reason: str
    actor: str


class CampaignResumed(DeviceEvent, frozen=True, kw_only=True):
    """An operator resumed a paused campaign."""

    campaign_id: str
    actor: str


class CampaignCompleted(DeviceEvent, frozen=True, kw_only=True):
    """No device is left for the campaign: every selected one was tried."""

    campaign_id: str
    actor: str


class BulkCreated(DeviceEvent, frozen=True, kw_only=True):
    """An operator asked for one task on many devices (its own aggregate, keyed by its id)."""

    bulk_id: str
    definition: BulkDefinition
    actor: str


EVENT_TOPICS: dict[str, type[DeviceEvent]] = {
    "InformReceived.v1": InformReceived,
    "TaskQueued.v1": TaskQueued,
    "RpcSent.v1": RpcSent,
    "RpcAnswered.v1": RpcAnswered,
    "RpcFaulted.v1": RpcFaulted,
    "TaskCompleted.v1": TaskCompleted,
    "TaskFaulted.v1": TaskFaulted,
    "TransferReported.v1": TransferReported,
    "TaskAdvanced.v1": TaskAdvanced,
    "AutonomousTransferReported.v1": AutonomousTransferReported,
    "DownloadRequested.v1": DownloadRequested,
    "FileReceived.v1": FileReceived,
    "ConnectionRequestCredentialsSet.v1": ConnectionRequestCredentialsSet,
    "ConnectionRequested.v1": ConnectionRequested,
    "DeviceTagged.v1": DeviceTagged,
    "DeviceUntagged.v1": DeviceUntagged,
    "PresetSaved.v1": PresetSaved,
    "PresetDeleted.v1": PresetDeleted,
    "CampaignCreated.v1": CampaignCreated,
    "CampaignPaused.v1": CampaignPaused,
    "CampaignResumed.v1": CampaignResumed,
    "CampaignCompleted.v1": CampaignCompleted,
    "BulkCreated.v1": BulkCreated,
    "CwmpCredentialsSet.v1": CwmpCredentialsSet,
    "CwmpCredentialsCleared.v1": CwmpCredentialsCleared,
    "PresetFaulted.v1": PresetFaulted,
    "TaskExpired.v1": TaskExpired,
}
"""Stored topic of each event class; a stored topic must resolve forever."""

TOPIC_OF: dict[type[DeviceEvent], str] = {cls: topic for topic, cls in EVENT_TOPICS.items()}

AnyDeviceEvent = (
    InformReceived
    | TaskQueued
    | RpcSent
    | RpcAnswered
    | RpcFaulted
    | TaskCompleted
    | TaskFaulted
    | TransferReported
    | TaskAdvanced
    | AutonomousTransferReported
    | DownloadRequested
    | FileReceived
    | ConnectionRequestCredentialsSet
    | ConnectionRequested
    | DeviceTagged
    | DeviceUntagged
    | CwmpCredentialsSet
    | CwmpCredentialsCleared
    | PresetFaulted
    | TaskExpired
)
