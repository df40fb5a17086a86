"""Operators' files: upload, list, delete; and the signed URLs CPEs download them from."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, delete, get, post
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response

from acs.adapters.file_catalog import FileMetadata
from acs.adapters.file_store import StoredFile
from acs.api.services import Services
from acs.application.downloads import FileInUseError, NoSuchFileError
from acs.application.fleet import Fleet

_FILE_TYPE = re.compile(r"^(\d+|X [0-9A-F]{6}) \S.*$")
FIRMWARE_HEADER = "X-Firmware-Version"
"""The version of a served file, for CPEs and tools that want to know it."""


def fleet_of(services: Services) -> Fleet:
    """The fleet services (files, campaigns, bulk) of this worker."""
    if services.fleet is None:
        raise HTTPException(status_code=503, detail="files and campaigns are not set up")
    return services.fleet


def upload_handler(max_bytes: int) -> HTTPRouteHandler:
    """`POST /api/files` with its own body limit (`ACS_MAX_FILE_BYTES`)."""

    @post("/api/files", status_code=201, request_max_body_size=max_bytes, tags=["files"])
    async def store_file(
        *,
        services: Services,
        request: Request[Any, Any, Any],
        actor: str,
        file_type: str = "1 Firmware Upgrade Image",
        name: str = "",
        vendor: str = "",
        product_class: str = "",
        version: str = "",
    ) -> StoredFile:
        """Store a firmware or configuration file sent as the raw body; SHA-256 computed."""
        if not _FILE_TYPE.match(file_type):
            raise ClientException(detail="file_type must look like '1 Firmware Upgrade Image'")
        data = await request.body()
        if not data:
            raise ClientException(detail="the body is the file; it is empty")
        content_type = request.headers.get("content-type") or "application/octet-stream"
        meta = FileMetadata(file_type=file_type, name=name, vendor=vendor,
                            product_class=product_class, version=version,
                            content_type=content_type)  # fmt: skip
        return await services.run(fleet_of(services).files.store, data, meta, actor)

    return store_file


@get("/api/files", tags=["files"])
async def list_files(services: Services) -> list[StoredFile]:
    """Every file operators stored, oldest first (device uploads are not listed)."""
    return await services.run(fleet_of(services).catalog.list)


@delete("/api/files/{file_id:str}", status_code=204, tags=["files"])
async def delete_file(services: Services, file_id: str, actor: str) -> None:
    """Delete a file (409 while an unfinished campaign rolls it out)."""
    try:
        await services.run(fleet_of(services).files.delete, file_id, actor)
    except NoSuchFileError as exc:
        raise NotFoundException(detail=f"no file {file_id}") from exc
    except FileInUseError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@get("/files/{file_id:str}/{task_id:str}/{signature:str}", include_in_schema=False)
async def serve_file(
    services: Services, file_id: str, task_id: str, signature: str
) -> Response[bytes]:
    """A file for the CPE whose download task the URL was signed for, while it runs."""
    fleet = fleet_of(services)
    if not fleet.links.verify(file_id, task_id, signature):
        raise HTTPException(status_code=403, detail="unknown download URL")
    task = await services.run(services.read.task, task_id)
    if task is not None and task.status in ("done", "fault", "expired"):
        raise HTTPException(status_code=410, detail="this download is over")
    stored = await services.run(fleet.catalog.get, file_id)
    found = await services.run(services.files.content, file_id)
    if stored is None or found is None:
        raise NotFoundException(detail=f"no file {file_id}")
    content_type, data = found
    headers = {FIRMWARE_HEADER: stored.version} if stored.version else {}
    return Response(data, media_type=content_type, headers=headers)
