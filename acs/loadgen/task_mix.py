"""The operator side of a run (pure): the `--task-mix` spec and the REST requests it makes."""

from __future__ import annotations

import math
from typing import Any, Final
from urllib.parse import quote

from acs.domain.device_id import device_id
from acs.loadgen.datamodel import DataModel

TASK_TYPES: Final = ("get_params", "set_params", "refresh", "reboot", "factory_reset")
MAX_TASK_RATE: Final = 10_000.0


class TaskMixError(ValueError):
    """A `--task-mix` spec that cannot be understood."""


def parse_task_mix(spec: str) -> dict[str, float]:
    """Parse `get_params=5,set_params=2` into tasks/s per type ("" is no tasks)."""
    mix: dict[str, float] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        kind, equals, number = (text.strip() for text in item.partition("="))
        if kind not in TASK_TYPES:
            known = ", ".join(TASK_TYPES)
            raise TaskMixError(f"unknown task type {kind!r} (known: {known})")
        if not equals:
            raise TaskMixError(f"{kind}: expected {kind}=RATE (tasks per second)")
        try:
            rate = float(number)
        except ValueError:
            raise TaskMixError(f"{kind}: {number!r} is not a number") from None
        if not math.isfinite(rate) or not 0 < rate <= MAX_TASK_RATE:
            raise TaskMixError(f"{kind}: the rate must be > 0 and <= {MAX_TASK_RATE:g} tasks/s")
        if kind in mix:
            raise TaskMixError(f"{kind} is given twice")
        mix[kind] = rate
    return mix


def task_body(kind: str, model: DataModel, number: int) -> dict[str, Any]:
    """The JSON body of `POST /api/devices/{id}/tasks` for a task of this type."""
    parameters: dict[str, Any]
    if kind == "get_params":
        parameters = {"names": [model.readable]}
    elif kind == "set_params":
        parameters = {"values": {model.settable: f"sim-{number}"}}
    elif kind == "refresh":
        parameters = {"path": f"{model.root}.DeviceInfo."}
    elif kind in ("reboot", "factory_reset"):
        parameters = {}
    else:
        raise TaskMixError(f"unknown task type {kind!r}")
    return {"type": kind, "parameters": parameters}


def tasks_path(model: DataModel, serial_number: str) -> str:
    """The path that queues a task for this CPE, without a connection request."""
    public_id = device_id(model.oui, model.product_class, serial_number)
    return f"/api/devices/{quote(public_id, safe='')}/tasks?connection_request=false"
