"""Files devices upload for `upload` tasks: signed upload URLs and their reception."""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from acs.adapters.event_store import EventStore
from acs.adapters.file_store import FileStore
from acs.application.devices import now
from acs.domain import decide
from acs.domain.device import DeviceNotFoundError, UnknownTaskError, project

UPLOAD_PATH = "/uploads"


class UploadLinks:
    """Per-task upload URLs, signed so that only the device asked can store a file there.

    URLs are signed with the newest key; a URL signed with an older key (before a key
    rotation) still verifies while that key is configured.
    """

    def __init__(self, key: str, *older: str) -> None:
        self._keys = [hashlib.sha256(b"acs-upload:" + k.encode()).digest() for k in (key, *older)]

    @staticmethod
    def _signature(key: bytes, aggregate: UUID, task_id: str) -> str:
        message = f"{aggregate}/{task_id}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]

    def url(self, base: str, aggregate: UUID, task_id: str) -> str:
        """The URL a device uploads to for this task."""
        signature = self._signature(self._keys[0], aggregate, task_id)
        return f"{base.rstrip('/')}{UPLOAD_PATH}/{aggregate}/{task_id}/{signature}"

    def verify(self, aggregate: UUID, task_id: str, signature: str) -> bool:
        """Whether a signature is one issued for this task (with any configured key)."""
        return any(
            hmac.compare_digest(self._signature(key, aggregate, task_id), signature)
            for key in self._keys
        )


class UploadRejectedError(PermissionError):
    """The upload URL is not one the ACS issued, or its task is not waiting for a file."""


class Uploads:
    """Stores a file a device sent and records it on the device."""

    def __init__(self, store: EventStore, files: FileStore, links: UploadLinks) -> None:
        self.store, self.files, self.links = store, files, links

    def receive(
        self, aggregate: UUID, task_id: str, signature: str, data: bytes, content_type: str
    ) -> str:
        """Store the file and record `FileReceived`; returns the file id."""
        if not self.links.verify(aggregate, task_id, signature):
            raise UploadRejectedError("unknown upload URL")
        device = self.store.load(aggregate)
        task = device.task(task_id) if device else None
        if device is None or task is None or task.type != "upload":
            raise UploadRejectedError("no upload is expected here")
        spec_type = getattr(task.task, "file_type", "")
        file_id, digest = self.files.put(
            data,
            file_type=spec_type,
            content_type=content_type,
            device_id=device.device_id,
            task_id=task_id,
        )
        try:
            events = decide.receive_file(
                device, task_id=task_id, file_id=file_id, size=len(data), sha256=digest, at=now()
            )
            self.store.append(events, project(device, list(events)))
        except (DeviceNotFoundError, UnknownTaskError) as exc:
            self.files.delete(file_id)
            raise UploadRejectedError("no upload is expected here") from exc
        except BaseException:
            self.files.delete(file_id)
            raise
        return file_id
