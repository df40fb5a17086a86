"""Files the ACS keeps (uploads from devices, operators' files), in PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

import msgspec
from psycopg_pool import ConnectionPool

_INSERT = """INSERT INTO files (id, device_id, task_id, file_type, content_type, size, sha256, data)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"""
_META = """SELECT id, device_id, task_id, file_type, content_type, size, sha256, created_at,
    name, vendor, product_class, version, actor
FROM files WHERE id = %s AND deleted_at IS NULL"""
_DATA = "SELECT content_type, data FROM files WHERE id = %s AND deleted_at IS NULL"
_DELETE = "DELETE FROM files WHERE id = %s"


class StoredFile(msgspec.Struct, frozen=True):
    """A stored file's description."""

    id: str
    device_id: str | None
    task_id: str | None
    file_type: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    name: str = ""
    vendor: str = ""
    product_class: str = ""
    version: str = ""
    actor: str = ""


class FileStore:
    """Stores and serves files."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def put(
        self,
        data: bytes,
        *,
        file_type: str,
        content_type: str,
        device_id: str | None = None,
        task_id: str | None = None,
    ) -> tuple[str, str]:
        """Store a file; returns its id and SHA-256."""
        file_id, digest = uuid.uuid4().hex, hashlib.sha256(data).hexdigest()
        params = (file_id, device_id, task_id, file_type, content_type, len(data), digest, data)
        with self.pool.connection() as conn:
            conn.execute(_INSERT, params)
        return file_id, digest

    def delete(self, file_id: str) -> None:
        """Remove a file (when what it was stored for failed)."""
        with self.pool.connection() as conn:
            conn.execute(_DELETE, (file_id,))

    def describe(self, file_id: str) -> StoredFile | None:
        """A file's description, or None."""
        with self.pool.connection() as conn:
            row = conn.execute(_META, (file_id,)).fetchone()
        return StoredFile(*row) if row else None

    def content(self, file_id: str) -> tuple[str, bytes] | None:
        """A file's content type and bytes, or None."""
        with self.pool.connection() as conn:
            row = conn.execute(_DATA, (file_id,)).fetchone()
        return (str(row[0]), bytes(row[1])) if row else None
