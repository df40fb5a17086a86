"""Operators' files: storing and deleting them, and the signed URLs devices download them from.

Each download task gets its own URL, `/files/{file_id}/{task_id}/{signature}` with
`signature = HMAC-SHA256(key, "{file_id}/{task_id}")`; it works without operator
credentials, only for that file, and only while its task is unfinished.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import msgspec
from psycopg_pool import ConnectionPool

from acs.adapters.file_catalog import FileCatalog, FileMetadata
from acs.adapters.file_store import StoredFile
from acs.domain.tasks import AnyTask, DownloadTask, TaskSpecError
from acs.projections.campaign_progress import file_in_use

DOWNLOAD_PATH = "/files"


class FileInUseError(ValueError):
    """An unfinished campaign rolls this file out; it cannot be deleted."""


class NoSuchFileError(LookupError):
    """No operator file of this id exists."""


class DownloadLinks:
    """Per-task download URLs, signed so that each download task has its own.

    URLs are signed with the newest key; a URL signed with an older key (before a key
    rotation) still verifies while that key is configured.
    """

    def __init__(self, key: str, *older: str) -> None:
        self._keys = [hashlib.sha256(b"acs-download:" + k.encode()).digest() for k in (key, *older)]

    def signature(self, file_id: str, task_id: str, key: bytes | None = None) -> str:
        """The signature of a file's URL for one task (with the newest key by default)."""
        message = f"{file_id}/{task_id}".encode()
        return hmac.new(key or self._keys[0], message, hashlib.sha256).hexdigest()[:32]

    def url(self, base: str, file_id: str, task_id: str) -> str:
        """The URL the device of this task downloads the file from."""
        signature = self.signature(file_id, task_id)
        return f"{base.rstrip('/')}{DOWNLOAD_PATH}/{file_id}/{task_id}/{signature}"

    def verify(self, file_id: str, task_id: str, signature: str) -> bool:
        """Whether a signature is one issued for this file and task (with any configured key)."""
        return any(
            hmac.compare_digest(self.signature(file_id, task_id, key), signature)
            for key in self._keys
        )


def with_file(task: AnyTask, given: dict[str, Any], catalog: FileCatalog) -> AnyTask:
    """A download of a stored file, its `file_type` and `file_size` defaulting to the file's."""
    if not isinstance(task, DownloadTask) or not task.file_id:
        return task
    stored = catalog.get(task.file_id)
    if stored is None:
        raise TaskSpecError(f"no file {task.file_id}")
    changes: dict[str, Any] = {}
    if "file_type" not in given:
        changes["file_type"] = stored.file_type
    if "file_size" not in given:
        changes["file_size"] = stored.size
    return msgspec.structs.replace(task, **changes)


class FileCommands:
    """Operators store and delete files; each records its actor."""

    def __init__(self, catalog: FileCatalog, pool: ConnectionPool) -> None:
        self.catalog, self.pool = catalog, pool

    def store(self, data: bytes, meta: FileMetadata, actor: str) -> StoredFile:
        """Store a file (its SHA-256 computed)."""
        return self.catalog.put(data, meta, actor)

    def delete(self, file_id: str, actor: str) -> None:
        """Delete a file, unless an unfinished campaign rolls it out."""
        if self.catalog.get(file_id) is None:
            raise NoSuchFileError(file_id)
        if file_in_use(self.pool, file_id):
            raise FileInUseError(f"file {file_id} is used by an unfinished campaign")
        self.catalog.delete(file_id, actor)
