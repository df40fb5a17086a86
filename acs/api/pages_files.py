"""The dashboard's files: `/files` lists operators' files (viewers too) and uploads one,
`/files/{file_id}/delete` deletes one (admins; refused while a campaign rolls it out)."""

from __future__ import annotations

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect, Template

from acs.adapters.file_catalog import FileMetadata
from acs.api.fleet_files import fleet_of
from acs.api.pages_admin import AnyRequest, after, flash, form_of
from acs.api.services import Services
from acs.api.web import PAGE_DEPENDENCIES, page
from acs.application.downloads import FileInUseError, NoSuchFileError
from acs.domain.access import Principal

FILE_TYPES = (
    "1 Firmware Upgrade Image",
    "2 Web Content",
    "3 Vendor Configuration File",
    "4 Tone File",
    "5 Ringer File",
)
"""The Download file types of TR-069 (A.3.2.8) an operator's file may have."""
_MESSAGES = {"created": "File {} stored.", "deleted": "File {} deleted."}
_FIELDS = ("name", "vendor", "product_class", "version")


async def _list(
    request: AnyRequest, services: Services, principal: Principal, *, status: int = 200,
    error: str = "", form: dict[str, str] | None = None,
) -> Template:  # fmt: skip
    files = await services.run(fleet_of(services).catalog.list)
    return page(request, principal, "admin_files.html", status_code=status, files=files,
                file_types=FILE_TYPES, error=error, form=form or {},
                flash=flash(request, _MESSAGES))  # fmt: skip


@get("/files", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def files_page(request: AnyRequest, services: Services, principal: Principal) -> Template:
    """Operators' files; admins get the upload form."""
    return await _list(request, services, principal)


async def _uploaded(request: AnyRequest) -> tuple[bytes, str, str]:
    """The form's file: its bytes, its name and its content type (empty without one)."""
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        return b"", "", ""
    return await upload.read(), upload.filename or "", upload.content_type or ""


def upload_page(max_bytes: int) -> HTTPRouteHandler:
    """`POST /files` (a multipart form) with the body limit of files (`ACS_MAX_FILE_BYTES`)."""

    @post("/files", include_in_schema=False, dependencies=PAGE_DEPENDENCIES,
          request_max_body_size=max_bytes)  # fmt: skip
    async def upload_file(
        request: AnyRequest, services: Services, principal: Principal, actor: str
    ) -> Template | Redirect:
        """Store the uploaded file with its type, name, vendor, product class and version."""
        form = await form_of(request)
        data, filename, content_type = await _uploaded(request)
        file_type = form.get("file_type", "")
        error = "" if data else "Choose a file to upload (it may not be empty)."
        if file_type not in FILE_TYPES:
            error = f"Choose one of the file types, not {file_type!r}."
        if error:
            return await _list(request, services, principal, status=400, error=error, form=form)
        fields = {key: form.get(key, "").strip() for key in _FIELDS}
        meta = FileMetadata(file_type=file_type, **{**fields, "name": fields["name"] or filename},
                            content_type=content_type or "application/octet-stream")  # fmt: skip
        stored = await services.run(fleet_of(services).files.store, data, meta, actor)
        return after("/files", created=stored.name or stored.id)

    return upload_file


@post("/files/{file_id:str}/delete", include_in_schema=False, dependencies=PAGE_DEPENDENCIES)
async def delete_file(
    request: AnyRequest, services: Services, principal: Principal, file_id: str, actor: str
) -> Template | Redirect:
    """Delete a file, unless an unfinished campaign rolls it out."""
    stored = await services.run(fleet_of(services).catalog.get, file_id)
    try:
        await services.run(fleet_of(services).files.delete, file_id, actor)
    except NoSuchFileError:
        error = f"There is no file {file_id}."
        return await _list(request, services, principal, status=404, error=error)
    except FileInUseError as exc:
        error = f"Not deleted: {exc}."
        return await _list(request, services, principal, status=409, error=error)
    return after("/files", deleted=(stored.name if stored else "") or file_id)


def pages(max_file_bytes: int) -> list[HTTPRouteHandler]:
    """The routes of the files' page (uploads limited to `max_file_bytes`)."""
    return [files_page, upload_page(max_file_bytes), delete_file]
