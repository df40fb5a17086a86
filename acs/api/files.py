"""Files the ACS stores (uploads from devices): description and content."""

from __future__ import annotations

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.response import Response

from acs.adapters.file_store import StoredFile
from acs.api.services import Services


class FileController(Controller):
    """Stored files."""

    path = "/api/files"
    tags = ["files"]

    @get("/{file_id:str}")
    async def describe(self, services: Services, file_id: str) -> StoredFile:
        """A file's type, size, SHA-256, device and task."""
        stored = await services.run(services.files.describe, file_id)
        if stored is None:
            raise NotFoundException(detail=f"no file {file_id}")
        return stored

    @get("/{file_id:str}/content", media_type="application/octet-stream")
    async def content(self, services: Services, file_id: str) -> Response[bytes]:
        """A file's bytes."""
        found = await services.run(services.files.content, file_id)
        if found is None:
            raise NotFoundException(detail=f"no file {file_id}")
        content_type, data = found
        return Response(data, media_type=content_type)
