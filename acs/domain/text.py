"""What text the ACS can store: PostgreSQL's `text` and `jsonb` hold every character but
U+0000 (NUL)."""

from __future__ import annotations

NUL_DETAIL = "text may not contain the character U+0000 (NUL)"


def holds_nul(value: object) -> bool:
    """Whether a NUL is in any string of decoded JSON, keys included."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(holds_nul(item) for item in value)
    return False
