"""Device tags: operators' labels on devices, 1-64 characters of `[A-Za-z0-9_.:-]`."""

from __future__ import annotations

import re

_TAG = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class InvalidTagError(ValueError):
    """A tag name outside the allowed characters or length."""


def checked_tag(tag: str) -> str:
    """The tag itself when it is a valid tag name, else `InvalidTagError`."""
    if not _TAG.fullmatch(tag):
        raise InvalidTagError(f"invalid tag {tag!r}: use 1 to 64 characters of A-Z a-z 0-9 _ . : -")
    return tag
