"""Files the ACS stores (uploads from devices): description and content."""

from __future__ import annotations

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.openapi import ResponseSpec
from litestar.response import Response

from acs.adapters.file_store import StoredFile
from acs.api.services import Services

FILE_BYTES = ResponseSpec(
    bytes, media_type="*/*", description="The file's bytes", generate_examples=False
)
"""Documented on the route, not set as its media type, which would label errors too."""


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

    @get("/{file_id:str}/content", responses={200: FILE_BYTES})
    async def content(self, services: Services, file_id: str) -> Response[bytes]:
        """A file's bytes, with the content type it was stored with (errors stay JSON)."""
        found = await services.run(services.files.content, file_id)
        if found is None:
            raise NotFoundException(detail=f"no file {file_id}")
        content_type, data = found
        return Response(data, media_type=content_type)
