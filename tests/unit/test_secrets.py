"""Sealed secrets: encrypted at rest, opened with any configured key, rotated."""

from __future__ import annotations

import pytest

from acs.adapters.secrets import SecretBox, SecretError


def test_a_sealed_secret_does_not_contain_the_secret_and_opens_back() -> None:
    box = SecretBox(["key-one"])
    sealed = box.seal("hunter2")
    assert "hunter2" not in sealed
    assert sealed.startswith("sealed:v1:")
    assert box.open(sealed) == "hunter2"
    assert box.seal("") == "" and box.open("") == ""


def test_keys_rotate_newest_first_and_old_seals_still_open() -> None:
    old = SecretBox(["old"]).seal("secret")
    rotated = SecretBox(["new", "old"])
    assert rotated.open(old) == "secret"
    assert SecretBox(["new"]).open(rotated.seal("x")) == "x"


def test_a_secret_sealed_with_an_unknown_key_is_refused() -> None:
    sealed = SecretBox(["one"]).seal("secret")
    with pytest.raises(SecretError):
        SecretBox(["two"]).open(sealed)
    with pytest.raises(SecretError):
        SecretBox(["two"]).open("plain text")
