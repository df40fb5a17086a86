"""The public device id, compatible with GenieACS: `OUI-ProductClass-SerialNumber`."""

from __future__ import annotations

import re
import uuid
from functools import lru_cache

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")
_AGGREGATE_NAMESPACE = uuid.UUID("6f1c8a52-3d0b-5b7e-9a51-2c6a0e4d7b13")


def _escape(part: str) -> str:
    """Percent-encode every character outside `[A-Za-z0-9_]` as UTF-8 bytes, upper-case hex."""
    return _UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode()), part)


def device_id(oui: str, product_class: str, serial_number: str) -> str:
    """The id operators see; `OUI-SerialNumber` when the product class is empty."""
    if product_class:
        return f"{_escape(oui)}-{_escape(product_class)}-{_escape(serial_number)}"
    return f"{_escape(oui)}-{_escape(serial_number)}"


@lru_cache(maxsize=20_000)
def aggregate_id(public_id: str) -> uuid.UUID:
    """The event-store id of a device: a stable uuid5 of its public id (cached: every
    request of a session needs it, and uuid5 is not cheap in Python)."""
    return uuid.uuid5(_AGGREGATE_NAMESPACE, public_id)
