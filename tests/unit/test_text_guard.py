"""Which request texts hold a NUL, the one character PostgreSQL cannot store."""

from __future__ import annotations

import pytest

from acs.api.text_guard import json_holds_nul
from acs.domain.text import holds_nul


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", False),
        ("a\x00b", True),
        ({"k": ["x", {"deep": "\x00"}]}, True),
        ({"a\x00": 1}, True),
        ([1, 2.5, None, True], False),
    ],
)
def test_a_nul_is_found_in_any_string_of_a_json_value(value: object, expected: bool) -> None:
    assert holds_nul(value) is expected


def test_only_an_escaped_nul_in_a_json_body_counts() -> None:
    assert json_holds_nul(b'{"a": "x\\u0000"}')
    assert not json_holds_nul(b'{"a": "x\\\\u0000"}'), "a backslash, then the text u0000"
    assert not json_holds_nul(b'{"a": "\\u0000'), "not JSON: the route refuses it"
    assert not json_holds_nul(b"\x00\x01 raw bytes")
