"""Sealing secrets (passwords) so that events and tables never hold them in plain text."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from psycopg_pool import ConnectionPool

PREFIX = "sealed:v1:"

_GET_KEY = "SELECT value FROM acs_keys WHERE name = 'secret'"
_PUT_KEY = "INSERT INTO acs_keys (name, value) VALUES ('secret', %s) ON CONFLICT DO NOTHING"


class SecretError(ValueError):
    """A sealed value cannot be opened with the configured keys."""


def _fernet(key: str) -> Fernet:
    """A Fernet from any passphrase: its SHA-256 is the 32-byte key."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


class SecretBox:
    """Seals with the first key and opens with any of them, so keys can be rotated."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("a secret box needs at least one key")
        self._newest = _fernet(keys[0])
        self._fernet = MultiFernet([_fernet(k) for k in keys])

    def seal(self, plain: str) -> str:
        """Encrypt a secret; an empty one stays empty."""
        if not plain:
            return ""
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        """Decrypt a sealed secret."""
        if not sealed:
            return ""
        if not sealed.startswith(PREFIX):
            raise SecretError("not a sealed value")
        try:
            return self._fernet.decrypt(sealed.removeprefix(PREFIX).encode()).decode()
        except InvalidToken as exc:
            raise SecretError("sealed with a key that is not configured") from exc

    def is_current(self, sealed: str) -> bool:
        """Whether a sealed value is sealed with the newest key (an empty one always is)."""
        if not sealed:
            return True
        try:
            self._newest.decrypt(sealed.removeprefix(PREFIX).encode())
        except InvalidToken:
            return False
        return sealed.startswith(PREFIX)

    def reseal(self, sealed: str) -> str:
        """The same secret sealed with the newest key (opened with any configured key)."""
        if not sealed:
            return ""
        if not sealed.startswith(PREFIX):
            raise SecretError("not a sealed value")
        try:
            token = self._fernet.rotate(sealed.removeprefix(PREFIX).encode())
        except InvalidToken as exc:
            raise SecretError("sealed with a key that is not configured") from exc
        return PREFIX + token.decode()


def secret_keys(configured: str | None, pool: ConnectionPool) -> list[str]:
    """ACS_SECRET_KEY (comma-separated, newest first), or a key the database keeps."""
    if configured:
        return [k.strip() for k in configured.split(",") if k.strip()]
    with pool.connection() as conn:
        conn.execute(_PUT_KEY, (secrets.token_urlsafe(32),))
        row = conn.execute(_GET_KEY).fetchone()
    assert row is not None
    return [str(row[0])]
