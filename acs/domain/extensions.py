"""The provisioning extension point: what a provisioner sees and what it answers.

A provisioner is a Python function an operator installs as an entry point of the group
`acs.provisioners` and names in a preset (`"provisioner": "NAME"`). In a session where the
preset applies, it is called with a read-only view of the device and the session's Inform
event codes, and returns desired state, as a preset's `ensure` declares it; the planner
applies it like the preset's own (reading unknown values first, writing only what differs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import msgspec

from acs.domain.presets import Ensure, PresetDefinition, PresetError, check_ensure

GROUP = "acs.provisioners"
"""The entry-point group provisioners are installed under."""


class DeviceSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A device as a provisioner sees it; frozen, with a read-only mapping of parameters."""

    device_id: str
    manufacturer: str
    oui: str
    product_class: str
    serial_number: str
    parameters: Mapping[str, str]
    """Every parameter value the ACS knows, by name."""
    tags: tuple[str, ...]


Provision = Callable[[DeviceSnapshot, tuple[str, ...]], Ensure | Mapping[str, Any] | None]
"""A provisioner: `(device, event_codes) -> desired state` (an `Ensure`, a mapping with its
keys `values`, `objects`, `firmware`, `refresh`, or None for nothing)."""


class ProvisionerError(RuntimeError):
    """A provisioner could not give desired state: missing, failed, too slow, or wrong."""


def snapshot(
    identity: Mapping[str, str], values: Mapping[str, str], tags: tuple[str, ...]
) -> DeviceSnapshot:
    """The read-only view of a device, from its identity, values and tags."""
    return DeviceSnapshot(
        device_id=identity.get("device_id", ""),
        manufacturer=identity.get("manufacturer", ""),
        oui=identity.get("oui", ""),
        product_class=identity.get("product_class", ""),
        serial_number=identity.get("serial_number", ""),
        parameters=MappingProxyType(dict(values)),
        tags=tuple(tags),
    )


def desired_state(name: str, answer: object) -> Ensure:
    """A provisioner's answer as desired state the planner can apply."""
    if answer is None:
        return Ensure()
    try:
        ensure = answer if isinstance(answer, Ensure) else msgspec.convert(answer, Ensure)
        check_ensure(ensure)
    except (msgspec.ValidationError, PresetError) as exc:
        raise ProvisionerError(f"provisioner {name} returned invalid desired state: {exc}") from exc
    return ensure


def with_desired(preset: PresetDefinition, desired: Ensure) -> PresetDefinition:
    """The preset with a provisioner's desired state added (its values win over the preset's)."""
    own = preset.ensure
    ensure = Ensure(
        values={**own.values, **desired.values},
        objects={**own.objects, **desired.objects},
        firmware=desired.firmware or own.firmware,
        refresh=own.refresh + desired.refresh,
    )
    return msgspec.structs.replace(preset, ensure=ensure)
