"""PostgreSQL `COPY ... FROM STDIN` text format: one line per row, written fast (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _array(items: Sequence[object]) -> str:
    quoted = (str(item).replace("\\", "\\\\").replace('"', '\\"') for item in items)
    return "{" + ",".join(f'"{item}"' for item in quoted) + "}"


def field(value: object) -> str:
    """One value in COPY text format: NULL, booleans, arrays, bytea and escaped text."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        text = _array(value)
    elif isinstance(value, datetime):
        text = value.isoformat()
    else:
        text = str(value)
    return text.translate(_ESCAPES)


def line(values: Iterable[object]) -> str:
    """One row: fields separated by tabs, ended by a newline."""
    return "\t".join(field(v) for v in values) + "\n"
