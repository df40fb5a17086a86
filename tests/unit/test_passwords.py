"""Dashboard passwords: scrypt hashes in a self-describing string, checked in constant time."""

from __future__ import annotations

import pytest

from acs.domain.passwords import PasswordError, checked_password, hash_password, verify_password

SALT = bytes(range(16))


def test_a_password_verifies_against_its_hash_and_no_other_does() -> None:
    stored = hash_password("correct horse", SALT)
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("", stored)


def test_the_stored_hash_names_its_algorithm_and_cost_and_hides_the_password() -> None:
    stored = hash_password("correct horse", SALT)
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert salt and len(digest) == 43
    assert "correct horse" not in stored


def test_a_hash_made_with_another_cost_still_verifies() -> None:
    cheap = hash_password("pw-123456", SALT, n=2**10, r=4)
    assert cheap.startswith("scrypt$1024$4$1$")
    assert verify_password("pw-123456", cheap)


def test_the_salt_makes_equal_passwords_hash_differently() -> None:
    assert hash_password("same one", SALT) != hash_password("same one", bytes(16))


@pytest.mark.parametrize(
    "stored",
    ["", "plain", "bcrypt$x", "scrypt$16384$8$1$!!$!!", "scrypt$3$8$1$AAAA$AAAA",
     "scrypt$16384$8$1$AAAA", "scrypt$1099511627776$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA"],
)  # fmt: skip
def test_a_malformed_or_absurd_stored_hash_never_verifies(stored: str) -> None:
    assert not verify_password("anything", stored)


def test_a_short_salt_is_refused() -> None:
    with pytest.raises(ValueError, match="salt"):
        hash_password("correct horse", b"short")


def test_passwords_need_eight_characters() -> None:
    assert checked_password("12345678") == "12345678"
    with pytest.raises(PasswordError):
        checked_password("1234567")
