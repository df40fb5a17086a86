"""Firmware campaigns and bulk operations: definitions and the pure rules that drive them.

A campaign rolls a stored file out to the devices a filter (or a list) selects, batch by
batch, at a rate, inside a maintenance window, and pauses by itself when the failure rate of
the last batch exceeds its threshold. A bulk operation queues one task on many devices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time
from typing import Any

import msgspec

from acs.domain.tasks import AnyTask

_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
MAX_DEVICES = 100_000


class CampaignError(ValueError):
    """A campaign or bulk request is malformed, or not allowed in the campaign's state."""


class CampaignDefinition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a campaign rolls out and how.

    `version` is the stored file's software version, which devices must report afterwards;
    `rate` is connection requests per second; `window` a UTC `HH:MM-HH:MM` (empty: always);
    `max_failure_rate` pauses the campaign when the last batch's failure rate exceeds it;
    `batch_timeout` is how long (seconds) a device of a batch may take before it failed.
    """

    file_id: str
    version: str
    file_type: str
    file_size: int
    filter: dict[str, str] = {}
    devices: tuple[str, ...] = ()
    batch_size: int = 10
    rate: float = 1.0
    window: str = ""
    max_failure_rate: float = 0.2
    batch_timeout: int = 3600


class CampaignRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A campaign as operators ask for it (the file's version and type are filled in)."""

    file_id: str
    filter: dict[str, str] = {}
    devices: list[str] = []
    batch_size: int = 10
    rate: float = 1.0
    window: str = ""
    max_failure_rate: float = 0.2
    batch_timeout: int = 3600


def check_selection(filter_: dict[str, str], devices: Sequence[str]) -> None:
    """A filter or a device list, not both (the filter's keys are checked by the search)."""
    if bool(filter_) == bool(devices):
        raise CampaignError("give either a device filter or a list of devices")
    if len(devices) > MAX_DEVICES:
        raise CampaignError(f"at most {MAX_DEVICES} devices")


def check_rate(rate: float) -> None:
    """Connection requests per second: above 0, at most 1000."""
    if not 0 < rate <= 1000:
        raise CampaignError("rate is connection requests per second, above 0 and at most 1000")


def define_campaign(
    request: CampaignRequest, *, version: str, file_type: str, file_size: int
) -> CampaignDefinition:
    """Validate an operator's campaign against the file it rolls out."""
    check_selection(request.filter, request.devices)
    check_rate(request.rate)
    if not version:
        raise CampaignError("the file has no version to verify; upload it with a version")
    if not 1 <= request.batch_size <= 10_000:
        raise CampaignError("batch_size must be 1 to 10000")
    if not 0 <= request.max_failure_rate <= 1:
        raise CampaignError("max_failure_rate is a fraction from 0 to 1")
    if request.batch_timeout < 1:
        raise CampaignError("batch_timeout must be at least 1 second")
    if request.window:
        parse_window(request.window)
    fields: dict[str, Any] = msgspec.structs.asdict(request)
    fields["devices"] = tuple(dict.fromkeys(request.devices))
    return CampaignDefinition(**fields, version=version, file_type=file_type, file_size=file_size)


def parse_window(window: str) -> tuple[time, time]:
    """A maintenance window `HH:MM-HH:MM` (UTC); it may wrap past midnight."""
    found = _WINDOW.match(window)
    if not found:
        raise CampaignError("window must be HH:MM-HH:MM (UTC)")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    return time(h1, m1), time(h2, m2)


def in_window(window: str, at: datetime) -> bool:
    """Whether `at` (UTC) falls in the window; an empty window is always open."""
    if not window:
        return True
    start, end = parse_window(window)
    now = at.time().replace(second=0, microsecond=0, tzinfo=None)
    if start == end:
        return True
    if start < end:
        return start <= now < end
    return now >= start or now < end


VERIFIED, FAILED = "verified", "failed"


def device_outcome(
    status: str, software_version: str | None, target: str, age: float, timeout: float
) -> tuple[str, str] | None:
    """A batch device's outcome and why, or None while it is still going.

    The download must be done and the device's next Inform must report the target version;
    a faulted download fails; anything unfinished after `timeout` seconds fails.
    """
    if status == "fault":
        return FAILED, "download faulted"
    if status == "expired":
        return FAILED, "download expired before it was sent"
    if status == "done" and software_version == target:
        return VERIFIED, f"reports {target}"
    if age < timeout:
        return None
    if status == "done":
        return FAILED, f"reports {software_version or 'no version'}, not {target}"
    return FAILED, "timed out"


def failure_rate(outcomes: Sequence[str]) -> float:
    """The share of failed devices among a batch's outcomes (0 for an empty batch)."""
    return sum(o == FAILED for o in outcomes) / len(outcomes) if outcomes else 0.0


def should_pause(outcomes: Sequence[str], threshold: float) -> bool:
    """The stop rule: the batch's failure rate exceeds the campaign's threshold."""
    return failure_rate(outcomes) > threshold


def next_batch(
    candidates: Sequence[tuple[str, str | None]], taken: set[str], target: str, size: int
) -> list[str]:
    """The next devices to upgrade: not in the campaign yet and not on the target version."""
    fresh = [d for d, version in candidates if d not in taken and version != target]
    return fresh[:size]


def pacing(count: int, rate: float) -> list[float]:
    """Seconds after the start at which each of `count` connection requests goes out."""
    return [i / rate for i in range(count)]


class BulkRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A bulk operation as operators ask for it: a task (`type`, `parameters`, optionally
    `expires_in` or `expires_at`) for devices chosen by a filter or a list, announced by
    connection requests at `rate` per second."""

    task: dict[str, Any]
    filter: dict[str, str] = {}
    devices: list[str] = []
    rate: float = 10.0


class BulkDefinition(msgspec.Struct, frozen=True):
    """A bulk operation: the task, the devices it matched, the rate, and the filter used."""

    task: AnyTask
    devices: tuple[str, ...]
    rate: float
    filter: dict[str, str] = {}
    expires_at: datetime | None = None
    """When the tasks expire if never sent (the task's `expires_in` or `expires_at`)."""
