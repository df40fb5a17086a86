"""Operators' credentials in PostgreSQL: API keys, dashboard users and their sessions.

Keys and session tokens are stored as their SHA-256 only (`domain.access.digest`), and a
request finds its key by that hash; passwords as scrypt hashes (`domain.passwords`).
"""

from __future__ import annotations

from datetime import datetime

import msgspec
import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from acs.domain.access import Principal, Role

_SETUP_LOCK = 0x0AC5_0012
"""Serialises the start-up writes (bootstrap key, first administrator) of concurrent workers."""

_KEY_COLUMNS = "name, role, created_at, created_by, revoked_at, revoked_by, last_used_at"
_CREATE_KEY = f"""INSERT INTO api_keys (name, role, key_hash, created_by) VALUES (%s, %s, %s, %s)
ON CONFLICT (name) DO NOTHING RETURNING {_KEY_COLUMNS}"""
_LIST_KEYS = f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at, name"
_REVOKE_KEY = """UPDATE api_keys SET revoked_at = now(), revoked_by = %s
WHERE name = %s AND revoked_at IS NULL"""
_KEY_PRINCIPAL = """WITH used AS (
    UPDATE api_keys SET last_used_at = now()
    WHERE key_hash = %(hash)s AND revoked_at IS NULL
        AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
)
SELECT name, role FROM api_keys WHERE key_hash = %(hash)s AND revoked_at IS NULL"""
"""Finds an active key and records its use (to the minute, so that a busy key is not
written on every lookup)."""
_ENSURE_KEY = """INSERT INTO api_keys (name, role, key_hash, created_by)
VALUES (%(name)s, 'admin', %(hash)s, %(by)s)
ON CONFLICT (name) DO UPDATE SET role = 'admin', key_hash = EXCLUDED.key_hash,
    created_at = now(), created_by = EXCLUDED.created_by, revoked_at = NULL, revoked_by = NULL
WHERE api_keys.key_hash <> EXCLUDED.key_hash"""
"""A new value replaces the key; the same value leaves it as it is (revoked stays revoked)."""

_USER_COLUMNS = "name, role, created_at, created_by"
_CREATE_USER = f"""INSERT INTO users (name, role, password_hash, created_by)
VALUES (%s, %s, %s, %s)
ON CONFLICT (name) DO NOTHING RETURNING {_USER_COLUMNS}"""
_LIST_USERS = f"SELECT {_USER_COLUMNS} FROM users ORDER BY created_at, name"
_DELETE_USER = "DELETE FROM users WHERE name = %s"
_ROLE_AND_HASH = "SELECT role, password_hash FROM users WHERE name = %s"
_NOBODY = "SELECT NOT EXISTS (SELECT 1 FROM api_keys) AND NOT EXISTS (SELECT 1 FROM users)"

_OPEN_SESSION = """INSERT INTO dashboard_sessions (token_hash, user_name, csrf_token, expires_at)
VALUES (%s, %s, %s, %s)"""
_EXPIRED_SESSIONS = "DELETE FROM dashboard_sessions WHERE expires_at <= now()"
_SESSION_PRINCIPAL = """SELECT s.user_name, u.role, s.csrf_token
FROM dashboard_sessions s JOIN users u ON u.name = s.user_name
WHERE s.token_hash = %s AND s.expires_at > now()"""
_CLOSE_SESSION = "DELETE FROM dashboard_sessions WHERE token_hash = %s"


class ApiKey(msgspec.Struct, frozen=True):
    """An API key as operators see it (never the key itself, nor its hash)."""

    name: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None


class User(msgspec.Struct, frozen=True):
    """A dashboard user (never the password hash)."""

    name: str
    role: Role
    created_at: datetime
    created_by: str


class NameTakenError(ValueError):
    """A key or user of that name exists already."""


class AccessStore:
    """API keys, users and dashboard sessions."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def create_key(self, name: str, role: Role, key_hash: str, actor: str) -> ApiKey:
        """Store a new key's hash; `NameTakenError` if the name is used (revoked keys too)."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            created = cur.execute(_CREATE_KEY, (name, role.value, key_hash, actor)).fetchone()
        if created is None:
            raise NameTakenError(f"a key named {name} exists already")
        return msgspec.convert(created, ApiKey)

    def keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return msgspec.convert(cur.execute(_LIST_KEYS).fetchall(), list[ApiKey])

    def revoke_key(self, name: str, actor: str) -> bool:
        """Revoke an active key; False when there is none of that name."""
        with self.pool.connection() as conn:
            return conn.execute(_REVOKE_KEY, (actor, name)).rowcount == 1

    def key_principal(self, key_hash: str) -> Principal | None:
        """The active key with this hash (its use recorded), or None."""
        with self.pool.connection() as conn:
            row = conn.execute(_KEY_PRINCIPAL, {"hash": key_hash}).fetchone()
        return None if row is None else Principal("key", row[0], Role(row[1]))

    def create_user(self, name: str, role: Role, password_hash: str, actor: str) -> User:
        """Store a new user; `NameTakenError` if the name is used."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            created = cur.execute(_CREATE_USER, (name, role.value, password_hash, actor)).fetchone()
        if created is None:
            raise NameTakenError(f"a user named {name} exists already")
        return msgspec.convert(created, User)

    def users(self) -> list[User]:
        """Every user, oldest first."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return msgspec.convert(cur.execute(_LIST_USERS).fetchall(), list[User])

    def delete_user(self, name: str) -> bool:
        """Delete a user and their sessions; False when there is none of that name."""
        with self.pool.connection() as conn:
            return conn.execute(_DELETE_USER, (name,)).rowcount == 1

    def password_of(self, name: str) -> tuple[Role, str] | None:
        """A user's role and password hash, or None."""
        with self.pool.connection() as conn:
            row = conn.execute(_ROLE_AND_HASH, (name,)).fetchone()
        return None if row is None else (Role(row[0]), str(row[1]))

    def ensure_admin_key(self, name: str, key_hash: str, actor: str) -> bool:
        """Make `name` an admin key with this hash, unless it has this hash already (then
        it stays as it is, revoked or not); True when it was created or replaced."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
            return (
                conn.execute(_ENSURE_KEY, {"name": name, "hash": key_hash, "by": actor}).rowcount
                == 1
            )

    def create_first_user(self, name: str, password_hash: str, actor: str) -> bool:
        """Create an admin user if no key and no user exist yet; True when it was created."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SETUP_LOCK,))
            nobody = conn.execute(_NOBODY).fetchone()
            if not (nobody and nobody[0]):
                return False
            conn.execute(_CREATE_USER, (name, Role.ADMIN.value, password_hash, actor))
            return True

    def open_session(
        self, token_hash: str, user: str, csrf_token: str, expires_at: datetime
    ) -> None:
        """Record a signed-in session (and forget expired ones)."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(_EXPIRED_SESSIONS)
            try:
                conn.execute(_OPEN_SESSION, (token_hash, user, csrf_token, expires_at))
            except psycopg.errors.ForeignKeyViolation as exc:
                raise LookupError(f"no user {user}") from exc

    def session_principal(self, token_hash: str) -> Principal | None:
        """The user of an unexpired session, with its CSRF token, or None."""
        with self.pool.connection() as conn:
            row = conn.execute(_SESSION_PRINCIPAL, (token_hash,)).fetchone()
        return None if row is None else Principal("user", row[0], Role(row[1]), row[2])

    def close_session(self, token_hash: str) -> None:
        """Forget a session (signing out)."""
        with self.pool.connection() as conn:
            conn.execute(_CLOSE_SESSION, (token_hash,))
