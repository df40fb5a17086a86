"""The provisioning planner: a preset's desired state against what is known of a device gives
the smallest set of tasks that closes the gap (the idea of GenieACS's `declare()`).

Unknown values are read first and compared in a later round of the same session, so a value
that is already right is never written. A preset with a task still open is left alone, and
one whose tasks keep faulting waits longer and longer (exponential backoff).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import msgspec

from acs.domain.presets import PresetDefinition, render, template_names
from acs.domain.tasks import AddObjectTask, AnyTask, DownloadTask, GetParams, Refresh, SetParams

PRESET_ACTOR = "preset:"
BACKOFF_BASE = timedelta(seconds=60)
BACKOFF_MAX = timedelta(days=1)


class PresetRun(msgspec.Struct, frozen=True):
    """How a preset's tasks went on one device."""

    done_at: datetime | None = None
    read_at: datetime | None = None
    failures: int = 0
    faulted_at: datetime | None = None


class DeviceView(msgspec.Struct, frozen=True):
    """What the planner needs to know of a device."""

    identity: dict[str, str]
    values: dict[str, str]
    open_actors: frozenset[str]
    runs: dict[str, PresetRun]


def preset_of(actor: str) -> str | None:
    """The preset a task's actor names, if any (`preset:<name>`)."""
    return actor.removeprefix(PRESET_ACTOR) if actor.startswith(PRESET_ACTOR) else None


def waiting(run: PresetRun | None, now: datetime) -> bool:
    """Whether a preset that faulted must still wait before it is tried again."""
    if run is None or run.failures == 0 or run.faulted_at is None:
        return False
    delay = min(BACKOFF_BASE * (1 << min(run.failures - 1, 20)), BACKOFF_MAX)
    return now < run.faulted_at + delay


def ready(name: str, device: DeviceView, now: datetime) -> bool:
    """Whether a preset may be planned now: none of its tasks open, not backing off."""
    return PRESET_ACTOR + name not in device.open_actors and not waiting(device.runs.get(name), now)


def plan(name: str, preset: PresetDefinition, device: DeviceView, now: datetime) -> list[AnyTask]:
    """The tasks this round needs for one preset (empty: nothing to do, or not now)."""
    if not ready(name, device, now):
        return []
    ensure = preset.ensure
    reads, writes = _values(ensure.values, device)
    if reads:
        return [GetParams(names=tuple(sorted(reads)))]
    tasks: list[AnyTask] = [SetParams(values=writes)] if writes else []
    tasks += _objects(ensure.objects, device.values)
    tasks += _firmware(preset, device)
    tasks += _refresh(preset, device.runs.get(name), now)
    return tasks


def _values(values: dict[str, str], device: DeviceView) -> tuple[set[str], dict[str, str]]:
    """Names to read first, and values to write."""
    reads: set[str] = set()
    writes: dict[str, str] = {}
    for name, template in values.items():
        needed = [n for n in template_names(template) if n not in device.values]
        if needed:
            reads.update(needed)
            continue
        wanted = render(template, device.identity, device.values)
        if name not in device.values:
            reads.add(name)
        elif wanted is not None and device.values[name] != wanted:
            writes[name] = wanted
    return reads, writes


def _objects(objects: dict[str, int], values: dict[str, str]) -> list[AnyTask]:
    """Read an unknown object list; add an instance while there are too few (one a round)."""
    for path, minimum in objects.items():
        under = [n for n in values if n.startswith(path)]
        if not under and minimum > 0:
            return [Refresh(path=path)]
        instance = re.compile(re.escape(path) + r"(\d+)\.")
        found = {m.group(1) for n in under if (m := instance.match(n))}
        if len(found) < minimum:
            return [AddObjectTask(object=path)]
    return []


def _firmware(preset: PresetDefinition, device: DeviceView) -> list[AnyTask]:
    firmware = preset.ensure.firmware
    if firmware is None:
        return []
    running = next(
        (v for n, v in device.values.items() if n.endswith(".DeviceInfo.SoftwareVersion")), None
    )
    if running is None or running == firmware.version:
        return []
    return [DownloadTask(url=firmware.url, file_type=firmware.file_type,
                         file_size=firmware.file_size)]  # fmt: skip


def _refresh(preset: PresetDefinition, run: PresetRun | None, now: datetime) -> list[AnyTask]:
    last = run.read_at if run else None
    due = [
        r for r in preset.ensure.refresh
        if last is None or now - last >= timedelta(seconds=r.every_seconds)
    ]  # fmt: skip
    names = sorted({n for r in due for n in r.names})
    return [GetParams(names=tuple(names))] if names else []
