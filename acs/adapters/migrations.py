"""Applies the numbered SQL files in `migrations/`, once each, under an advisory lock.

The package reaches them as `acs/migrations`, a link to the top-level folder, so a built
wheel carries them and an installed `acs` finds them wherever it runs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_LOCK_KEY = 0x0AC5_0001
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """The migration files in order of their number."""
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found)


def pending(
    conn: psycopg.Connection[tuple[object, ...]], directory: Path = MIGRATIONS_DIR
) -> list[Path]:
    """Migration files not applied yet to this database."""
    conn.execute(_CREATE_LEDGER)
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    return [path for version, path in migration_files(directory) if version not in done]


def unapplied(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Names of the migrations this database lacks, in order; writes nothing."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        done: set[object] = set()
        if row is not None and row[0]:
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    return [path.name for version, path in migration_files(directory) if version not in done]


def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration, each in its own transaction; return their names."""
    applied = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            for path in pending(conn, directory):
                version = int(path.name[:4])
                with conn.transaction():
                    conn.execute(path.read_text().encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (version, path.name),
                    )
                log.info("applied migration %s", path.name)
                applied.append(path.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied
