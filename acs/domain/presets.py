"""Presets: what a set of devices must look like, declared once, ensured in their sessions.

A preset names a trigger (Inform event codes, or any Inform), a device filter and the state
to ensure: parameter values (templated with the device's own values), a minimum number of
object instances, a firmware version, and parameters to re-read periodically. It may also
name a provisioner, a Python function installed as an extension that computes more of that
state from the device (`acs.domain.extensions`).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from acs.domain.text import NUL_DETAIL, holds_nul

NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_TEMPLATE = re.compile(r"\{([A-Za-z0-9_.]+)\}")
_IDENTITY = ("serial_number", "oui", "product_class", "manufacturer", "device_id")


class Firmware(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Devices not running `version` download the image at `url`."""

    version: str
    url: str
    file_type: str = "1 Firmware Upgrade Image"
    file_size: int = 0


class Refresh(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Re-read these names (or paths ending in `.`) when the last read is older than this."""

    names: tuple[str, ...]
    every_seconds: int


class Ensure(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The state a preset ensures."""

    values: dict[str, str] = {}
    objects: dict[str, int] = {}
    firmware: Firmware | None = None
    refresh: tuple[Refresh, ...] = ()


class PresetDefinition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A preset as operators write it.

    `events`: the Inform event codes that trigger it (empty: every Inform); `filter`: the
    device search filters of `GET /api/devices` (`param.<Name>`, `tag`, `manufacturer`,
    `product_class`, `software_version`); `weight`: order among presets (lower first);
    `provisioner`: the name of an installed provisioner whose desired state is added to
    `ensure` in each session (empty: none).
    """

    events: tuple[str, ...] = ()
    filter: dict[str, str] = {}
    ensure: Ensure = Ensure()
    weight: int = 0
    provisioner: str = ""


class PresetError(ValueError):
    """A preset definition is malformed; the message says what is wrong."""


def parse_preset(name: str, body: dict[str, Any]) -> PresetDefinition:
    """Validate an operator's preset."""
    if not NAME.match(name):
        raise PresetError("a preset name is 1 to 64 characters of A-Z a-z 0-9 _ . : -")
    try:
        preset = msgspec.convert(body, PresetDefinition)
    except msgspec.ValidationError as exc:
        raise PresetError(f"invalid preset: {exc}") from exc
    _check(preset)
    return preset


def _check(preset: PresetDefinition) -> None:
    ensure = preset.ensure
    if preset.provisioner and not NAME.match(preset.provisioner):
        raise PresetError("a provisioner name is 1 to 64 characters of A-Z a-z 0-9 _ . : -")
    empty = not (ensure.values or ensure.objects or ensure.firmware or ensure.refresh)
    if empty and not preset.provisioner:
        raise PresetError(
            "a preset must ensure something: values, objects, firmware or refresh, "
            "or name a provisioner"
        )
    check_ensure(ensure)
    for key in preset.filter:
        if not (key.startswith("param.") or key in _FILTER_KEYS):
            raise PresetError(f"unknown filter {key!r}")


def check_ensure(ensure: Ensure) -> None:
    """Refuse desired state the planner cannot apply (`PresetError` says why)."""
    if any(not n or n.endswith(".") for n in ensure.values):
        raise PresetError("values are set on parameter names, not paths")
    if any(not p.endswith(".") or n < 0 for p, n in ensure.objects.items()):
        raise PresetError("objects map paths ending in '.' to a minimum count")
    if any(r.every_seconds < 60 or not r.names for r in ensure.refresh):
        raise PresetError("a refresh needs names and every_seconds of at least 60")
    if holds_nul(msgspec.to_builtins(ensure)):
        raise PresetError(NUL_DETAIL)


_FILTER_KEYS = ("tag", "manufacturer", "product_class", "software_version", "oui")


def template_names(text: str) -> list[str]:
    """The parameter names a template value refers to (`{InternetGatewayDevice.X}`)."""
    return [n for n in _TEMPLATE.findall(text) if n not in _IDENTITY]


def render(text: str, identity: dict[str, str], values: dict[str, str]) -> str | None:
    """A template value with the device's own values filled in; None while one is unknown."""
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        key = match.group(1)
        found = identity.get(key) if key in _IDENTITY else values.get(key)
        if found is None:
            missing = True
            return ""
        return found

    rendered = _TEMPLATE.sub(fill, text)
    return None if missing else rendered


def matches(
    preset: PresetDefinition,
    event_codes: tuple[str, ...],
    facts: dict[str, str],
    values: dict[str, str],
    tags: tuple[str, ...],
) -> bool:
    """Whether a preset applies to a device in a session with these event codes.

    `facts` holds the device's summary (manufacturer, oui, product_class, software_version).
    """
    if preset.events and not set(preset.events) & set(event_codes):
        return False
    return all(_holds(key, want, facts, values, tags) for key, want in preset.filter.items())


def _holds(key: str, want: str, facts: dict[str, str], values: dict[str, str],
           tags: tuple[str, ...]) -> bool:  # fmt: skip
    if key == "tag":
        return want in tags
    if not key.startswith("param."):
        return facts.get(key) == want
    have = values.get(key.removeprefix("param."))
    if have is None:
        return False
    if want.startswith("~"):
        return have.startswith(want[1:])
    if want[:1] in "<>" and want[1:]:
        return _compare(have, want[0], want[1:])
    return have == want


def _compare(have: str, op: str, bound: str) -> bool:
    try:
        left, right = float(have), float(bound)
    except ValueError:
        return False
    return left > right if op == ">" else left < right
