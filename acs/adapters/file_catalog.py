"""Files operators store for devices to download (firmware, configuration), in PostgreSQL.

They share the `files` table with device uploads (`origin = 'operator'`). Deleting one keeps
its description and who deleted it, and drops its bytes.
"""

from __future__ import annotations

import hashlib
import uuid

import msgspec
from psycopg_pool import ConnectionPool

from acs.adapters.file_store import StoredFile


class FileMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """What an operator says of a file: type (TR-069 A.3.2.8), vendor, product class…"""

    file_type: str = "1 Firmware Upgrade Image"
    name: str = ""
    vendor: str = ""
    product_class: str = ""
    version: str = ""
    content_type: str = "application/octet-stream"


_COLUMNS = """id, device_id, task_id, file_type, content_type, size, sha256, created_at,
    name, vendor, product_class, version, actor"""
_INSERT = (
    """INSERT INTO files (id, origin, file_type, content_type, size, sha256, data, name,
    vendor, product_class, version, actor)
VALUES (%s, 'operator', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING """
    + _COLUMNS
)
_LIST = f"""SELECT {_COLUMNS} FROM files WHERE origin = 'operator' AND deleted_at IS NULL
ORDER BY created_at, id"""
_ONE = f"""SELECT {_COLUMNS} FROM files
WHERE id = %s AND origin = 'operator' AND deleted_at IS NULL"""
_DELETE = """UPDATE files SET data = '', deleted_at = now(), deleted_by = %s
WHERE id = %s AND origin = 'operator' AND deleted_at IS NULL"""


class FileCatalog:
    """Stores, lists and deletes operators' files."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def put(self, data: bytes, meta: FileMetadata, actor: str) -> StoredFile:
        """Store a file with its SHA-256; returns its description."""
        digest = hashlib.sha256(data).hexdigest()
        params = (uuid.uuid4().hex, meta.file_type, meta.content_type, len(data), digest, data,
                  meta.name, meta.vendor, meta.product_class, meta.version, actor)  # fmt: skip
        with self.pool.connection() as conn:
            row = conn.execute(_INSERT, params).fetchone()
        assert row is not None
        return StoredFile(*row)

    def list(self) -> list[StoredFile]:
        """Every operator file, oldest first."""
        with self.pool.connection() as conn:
            return [StoredFile(*row) for row in conn.execute(_LIST).fetchall()]

    def get(self, file_id: str) -> StoredFile | None:
        """One operator file, or None."""
        with self.pool.connection() as conn:
            row = conn.execute(_ONE, (file_id,)).fetchone()
        return StoredFile(*row) if row else None

    def delete(self, file_id: str, actor: str) -> bool:
        """Drop a file's bytes, keeping who deleted it; False when there was no such file."""
        with self.pool.connection() as conn:
            return conn.execute(_DELETE, (actor, file_id)).rowcount == 1
