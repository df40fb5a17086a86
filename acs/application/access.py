"""Operators' credentials as use cases: API keys, users, signing in and out, and who a
request comes from (looked up by hash, kept a couple of seconds per worker)."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import msgspec

from acs.adapters.access_store import AccessStore, ApiKey, User
from acs.domain.access import (
    Principal,
    Role,
    checked_key,
    checked_name,
    checked_role,
    digest,
    new_key,
)
from acs.domain.passwords import SALT_BYTES, checked_password, hash_password, verify_password

log = logging.getLogger(__name__)

BOOTSTRAP_KEY = "bootstrap"
"""The name of the admin key `ACS_BOOTSTRAP_API_KEY` ensures."""
BOOTSTRAP_ACTOR = "ACS_BOOTSTRAP_API_KEY"
FIRST_ADMIN = "admin"
"""The user created, with a random password, when the ACS first starts without any credential."""
SESSION_LIFETIME = timedelta(hours=12)
CACHE_SECONDS = 2.0
"""How long a worker trusts what it looked up: a revoked key stops working within this."""
CACHE_SIZE = 4096


class Credential(msgspec.Struct, frozen=True):
    """What a request presented: an API key (`key`) or a dashboard session cookie (`session`)."""

    kind: str
    secret: str


class NewKey(msgspec.Struct, frozen=True):
    """A key just created: the only time the key itself is shown."""

    name: str
    role: Role
    created_at: datetime
    key: str


class SignedIn(msgspec.Struct, frozen=True):
    """A new dashboard session: the cookie's token, the CSRF token of its forms, its end."""

    token: str
    csrf_token: str
    expires_at: datetime
    principal: Principal


class PrincipalCache:
    """What recent credentials resolved to (unknown ones too), for `ttl` seconds, bounded."""

    def __init__(
        self, ttl: float = CACHE_SECONDS, size: int = CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.ttl, self.size, self.clock = ttl, size, clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, Principal | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[bool, Principal | None]:
        """(found, principal): found is False when the entry is missing or too old."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self.clock():
                return False, None
            return True, entry[1]

    def put(self, key: tuple[str, str], principal: Principal | None) -> None:
        """Remember a lookup's answer for `ttl` seconds."""
        with self._lock:
            self._entries[key] = (self.clock() + self.ttl, principal)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (a key was revoked, a user deleted or signed out)."""
        with self._lock:
            self._entries.clear()


def _cache_key(credential: Credential) -> tuple[str, str]:
    return credential.kind, digest(credential.secret)


class Access:
    """API keys, users and dashboard sessions, and the principal behind a credential."""

    def __init__(
        self, store: AccessStore, cache: PrincipalCache | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self.store = store
        self.cache = cache or PrincipalCache()
        self.now = now
        self._unknown_user_hash: str | None = None

    def create_key(self, name: str, role: str, actor: str) -> NewKey:
        """A new random key; only its hash is stored."""
        key, checked = new_key(secrets.token_urlsafe(32)), checked_role(role)
        stored = self.store.create_key(checked_name(name), checked, digest(key), actor)
        return NewKey(stored.name, stored.role, stored.created_at, key)

    def keys(self) -> list[ApiKey]:
        """Every key (without the key), revoked ones included."""
        return self.store.keys()

    def revoke_key(self, name: str, actor: str) -> bool:
        """Revoke a key: this worker refuses it at once, the others within `CACHE_SECONDS`."""
        revoked = self.store.revoke_key(name, actor)
        self.cache.clear()
        return revoked

    def ensure_bootstrap_key(self, key: str) -> bool:
        """Make `key` the admin key named `bootstrap` (idempotent, safe to run from several
        workers at once); True when it was created or replaced by a new value. Revoking it
        holds until the value changes."""
        hashed = digest(checked_key(key))
        return self.store.ensure_admin_key(BOOTSTRAP_KEY, hashed, BOOTSTRAP_ACTOR)

    def create_user(self, name: str, role: str, password: str, actor: str) -> User:
        """A new dashboard user; the password is stored as a scrypt hash."""
        name, checked = checked_name(name), checked_role(role)
        return self.store.create_user(name, checked, _hashed(checked_password(password)), actor)

    def users(self) -> list[User]:
        """Every user."""
        return self.store.users()

    def delete_user(self, name: str, actor: str) -> bool:
        """Delete a user; their sessions end with them."""
        deleted = self.store.delete_user(name)
        self.cache.clear()
        if deleted:
            log.info("user %s deleted by %s", name, actor)
        return deleted

    def first_admin(self, actor: str) -> str | None:
        """When no key and no user exist: create the user `admin` with a random password
        and return the password (never again afterwards)."""
        password = secrets.token_urlsafe(12)
        created = self.store.create_first_user(FIRST_ADMIN, _hashed(password), actor)
        return password if created else None

    def sign_in(self, name: str, password: str) -> SignedIn | None:
        """A new session for the user when the password is theirs, else None (in about the
        same time whether or not the user exists)."""
        found = self.store.password_of(name)
        if found is None:
            verify_password(password, self._unknown_user())
            return None
        role, stored = found
        if not verify_password(password, stored):
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires_at = self.now() + SESSION_LIFETIME
        try:
            self.store.open_session(digest(token), name, csrf, expires_at)
        except LookupError:
            return None
        return SignedIn(token, csrf, expires_at, Principal("user", name, role, csrf))

    def sign_out(self, token: str) -> None:
        """End a session."""
        self.store.close_session(digest(token))
        self.cache.clear()

    def cached(self, credential: Credential) -> tuple[bool, Principal | None]:
        """What this worker knows of a credential, without I/O: (found, principal)."""
        return self.cache.get(_cache_key(credential))

    def authenticate(self, credential: Credential) -> Principal | None:
        """The principal behind a credential, looked up by hash (blocking), or None."""
        key = _cache_key(credential)
        hashed = key[1]
        if credential.kind == "key":
            principal = self.store.key_principal(hashed)
        else:
            principal = self.store.session_principal(hashed)
        self.cache.put(key, principal)
        return principal

    def _unknown_user(self) -> str:
        if self._unknown_user_hash is None:
            self._unknown_user_hash = _hashed(secrets.token_urlsafe(12))
        return self._unknown_user_hash


def _hashed(password: str) -> str:
    return hash_password(password, secrets.token_bytes(SALT_BYTES))
