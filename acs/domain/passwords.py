"""Dashboard passwords: scrypt hashes (memory-hard) in a self-describing string.

A stored hash reads `scrypt$<n>$<r>$<p>$<salt>$<hash>` (salt and hash in unpadded URL-safe
base64), so the cost can be raised later without breaking the hashes already stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1
"""The cost: 16 MiB of memory and a few tens of milliseconds per hash."""
SALT_BYTES = 16
HASH_BYTES = 32
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 4


class PasswordError(ValueError):
    """A password that may not be used (too short or too long)."""


def checked_password(password: str) -> str:
    """A password of 8 to 1024 characters, else `PasswordError`."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise PasswordError(
            f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters, not {len(password)}"
        )
    return password


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    memory = 128 * r * (n + p + 2) + (1 << 20)
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=memory, dklen=HASH_BYTES
    )


def hash_password(password: str, salt: bytes, n: int = N, r: int = R, p: int = P) -> str:
    """The stored form of a password, with a random `salt` of 16 bytes."""
    if len(salt) < SALT_BYTES:
        raise ValueError(f"the salt needs {SALT_BYTES} bytes")
    return "$".join(
        (SCHEME, str(n), str(r), str(p), _b64(salt), _b64(_scrypt(password, salt, n, r, p)))
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` is the one `stored` was made from (constant-time comparison);
    False for a malformed stored hash."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        return False
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= _MAX_R and 0 < p <= _MAX_P):
        return False
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), expected)
