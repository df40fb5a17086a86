"""Task specifications: what an operator asks of a device, and the RPC that carries it out."""

from __future__ import annotations

from typing import Any

import msgspec

from acs.domain.messages import (
    AcsRequest,
    FactoryReset,
    GetParameterValues,
    ParameterValue,
    Reboot,
    SetParameterValues,
)


class TaskSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="type"):
    """Base of every task type; the tag is the task type operators use in the API."""


class GetParams(TaskSpec, frozen=True, tag="get_params"):
    """Read parameters (GetParameterValues); names may be partial paths ending in `.`."""

    names: tuple[str, ...]


class SetParams(TaskSpec, frozen=True, tag="set_params"):
    """Write parameters (SetParameterValues); `types` overrides the known `xsi:type`."""

    values: dict[str, str]
    types: dict[str, str] = {}


class RebootTask(TaskSpec, frozen=True, tag="reboot"):
    """Reboot the device (Reboot); done when it comes back with `M Reboot` or `1 BOOT`."""


class FactoryResetTask(TaskSpec, frozen=True, tag="factory_reset"):
    """Reset the device to factory defaults (FactoryReset); done at its `0 BOOTSTRAP`."""


AnyTask = GetParams | SetParams | RebootTask | FactoryResetTask

TASK_TYPES: tuple[str, ...] = ("get_params", "set_params", "reboot", "factory_reset")

IDEMPOTENT_TYPES = frozenset({"get_params", "set_params"})
"""Task types that may be sent again when the CPE never answered."""

AWAITS_BOOT = frozenset({"reboot", "factory_reset"})
"""Task types that end only when the CPE's next Inform shows the effect."""


class TaskSpecError(ValueError):
    """An operator's task request is malformed; the message says what is wrong."""


_DECODER = msgspec.json.Decoder(AnyTask)


def task_type(spec: AnyTask) -> str:
    """The task type name of a spec, as operators write it."""
    tag = type(spec).__struct_config__.tag
    assert isinstance(tag, str)  # every concrete TaskSpec declares a string tag
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


def _check(spec: AnyTask) -> None:
    """Rules msgspec's types cannot express."""
    match spec:
        case GetParams(names=names):
            if not names or any(not n or n.strip() != n for n in names):
                raise TaskSpecError("get_params needs a non-empty list of parameter names")
        case SetParams(values=values, types=types):
            if not values or any(not n or n.endswith(".") for n in values):
                raise TaskSpecError("set_params needs values for parameter names, not paths")
            if unknown := set(types) - set(values):
                raise TaskSpecError(f"types given for parameters not set: {sorted(unknown)}")
        case _:
            pass


def infer_type(value: str) -> str:
    """The `xsi:type` for a value whose parameter type is not known yet."""
    if value in ("true", "false"):
        return "xsd:boolean"
    if value.isdigit():
        return "xsd:unsignedInt"
    return "xsd:string"


def request_for(spec: AnyTask, command_key: str, known_types: dict[str, str]) -> AcsRequest:
    """The RPC that carries out a task; `command_key` correlates its later effects."""
    match spec:
        case GetParams(names=names):
            return GetParameterValues(names=names)
        case SetParams(values=values, types=types):
            params = tuple(
                ParameterValue(
                    name, value, types.get(name) or known_types.get(name) or infer_type(value)
                )
                for name, value in values.items()
            )
            return SetParameterValues(parameters=params, parameter_key=command_key)
        case RebootTask():
            return Reboot(command_key=command_key)
        case FactoryResetTask():
            return FactoryReset()
