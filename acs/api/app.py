"""The composition root: `create_app` wires settings, adapters, services and controllers."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from litestar import Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.openapi import OpenAPIConfig
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp

from acs.adapters import drain as worker_drain
from acs.adapters import logs
from acs.adapters.access_store import AccessStore
from acs.adapters.collector import settle
from acs.adapters.database import UNAVAILABLE, bounded, open_pool, unavailable
from acs.adapters.event_store import ConcurrencyError, EventStore, datastore_for
from acs.adapters.file_store import FileStore
from acs.adapters.migrations import migrate
from acs.adapters.nonce_ledger import NonceLedger
from acs.adapters.provisioners import Provisioners
from acs.adapters.secrets import SecretBox, secret_keys
from acs.adapters.session_store import SessionStore
from acs.adapters.settings import Settings, settings_from_env
from acs.adapters.state_cache import StateCache
from acs.adapters.webhook_store import WebhookStore
from acs.api import (
    pages_admin,
    pages_campaigns,
    pages_device,
    pages_devices,
    pages_files,
    pages_overview,
    pages_presets,
    pages_webhooks,
)
from acs.api.auth import (
    SECURITY,
    SECURITY_COMPONENTS,
    access_guard,
    actor_of,
    check_rules,
    unmatched,
)
from acs.api.campaigns import BulkController, CampaignController
from acs.api.client_cert import require_client_certificate
from acs.api.credentials import KeyController, UserController
from acs.api.cwmp import cwmp_endpoint, upload_endpoint
from acs.api.cwmp_credentials import CwmpCredentialController
from acs.api.cwmp_route import with_cwmp_route
from acs.api.dashboard import login, login_form, logout
from acs.api.devices import DeviceController, get_projection_status, get_stats, get_task
from acs.api.files import FileController
from acs.api.fleet_files import delete_file, list_files, serve_file, upload_handler
from acs.api.health import Readiness, health, ready_endpoint
from acs.api.history import HistoryController
from acs.api.metrics import HttpMetrics, metrics_endpoint
from acs.api.openapi_errors import document_errors
from acs.api.presets import PresetController
from acs.api.secure_headers import secure_headers
from acs.api.services import Services
from acs.api.text_guard import refuse_nul
from acs.api.unavailable import database_unavailable
from acs.api.web import page_errors, static_router, template_config
from acs.api.webhooks import WebhookController, build_delivery
from acs.application.access import Access
from acs.application.campaign_driver import JobDriver
from acs.application.connection_requests import ConnectionRequests
from acs.application.cwmp import CwmpService
from acs.application.cwmp_auth import build_cwmp_auth
from acs.application.cwmp_credentials import CwmpCredentialCommands
from acs.application.devices import DeviceCommands
from acs.application.fleet import build_fleet
from acs.application.presets import PresetCommands
from acs.application.provisioning import PresetCatalog, Provisioner
from acs.application.sweeps import Sweep
from acs.application.task_expiry import TaskExpiry
from acs.application.uploads import UploadLinks, UploadRejectedError, Uploads
from acs.application.webhooks import Webhooks, topics_by_type
from acs.domain.device import DeviceNotFoundError
from acs.domain.preset_commands import PresetExistsError, PresetNotFoundError
from acs.domain.presets import PresetError
from acs.domain.tags import InvalidTagError
from acs.domain.tasks import TaskSpecError
from acs.projections.device_filter import DeviceQueryError
from acs.projections.queries import ReadModel
from acs.projections.runner import ProjectionRunner

log = logging.getLogger(__name__)


def build_services(settings: Settings, url: str) -> Services:
    """Open the pools and build every service for one worker process."""
    size, timeout = settings.db_pool_size, settings.db_timeout
    url = bounded(url, timeout)
    pool = open_pool(url, max_size=size, timeout=timeout, name="acs")
    datastore = datastore_for(url, pool_size=size, timeout=timeout)
    store = EventStore(
        datastore, StateCache(settings.state_cache_size, settings.state_cache_parameters)
    )
    keys = secret_keys(settings.secret_key, pool)
    box, links = SecretBox(keys), UploadLinks(*keys)
    sessions = SessionStore(pool, settings.session_timeout)
    files = FileStore(pool)
    fleet = build_fleet(store, pool, keys)
    provisioner = Provisioner(PresetCatalog(pool), Provisioners(settings.provisioner_timeout))
    auth = build_cwmp_auth(settings, box, keys, NonceLedger(pool))
    services = Services(
        settings=settings,
        store=store,
        pool=pool,
        cwmp=CwmpService(
            store, sessions, box, links, provisioner, downloads=fleet.links, auth=auth
        ),
        presets=PresetCommands(store),
        webhooks=Webhooks(WebhookStore(pool, topics_by_type()), box),
        access=Access(AccessStore(pool)),
        commands=DeviceCommands(store, box, settings.task_expiry),
        read=ReadModel(pool),
        files=files,
        uploads=Uploads(store, files, links),
        projector=ProjectionRunner(store, pool, url),
        executor=ThreadPoolExecutor(max_workers=size, thread_name_prefix="acs-db"),
    )
    services.connection_requests = ConnectionRequests(
        store,
        sessions,
        box,
        timeout=settings.connection_request_timeout,
        pending_for=settings.session_timeout,
        run=services.run,
    )
    services.webhook_delivery = build_delivery(services)
    services.fleet = fleet
    services.cwmp_credentials = CwmpCredentialCommands(store, box)
    if settings.bootstrap_api_key:
        services.access.ensure_bootstrap_key(settings.bootstrap_api_key)
    return services


def build_driver(services: Services, url: str) -> JobDriver | None:
    """The campaign and bulk driver of a worker (on its event loop)."""
    if services.fleet is None:
        return None
    url = bounded(url, services.settings.db_timeout)
    return JobDriver(url=url, pool=services.pool, store=services.store,
                     campaigns=services.fleet.campaigns, commands=services.commands,
                     requests=services.connection_requests, run=services.run,
                     interval=services.settings.campaign_interval)  # fmt: skip


class TransferExpiry(Sweep):
    """Faults downloads and uploads whose TransferComplete never came (checked every 30 s,
    or a quarter of the timeout when that is shorter)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        interval = max(0.5, min(30.0, services.settings.transfer_timeout / 4))
        super().__init__("expiring overdue transfers", self._expire, interval)

    def _expire(self) -> int:
        timeout = self.services.settings.transfer_timeout
        overdue = self.services.read.overdue_transfers(timeout)
        return sum(
            self.services.commands.expire_transfers(device, tasks, timeout)
            for device, tasks in overdue.items()
        )


def _error(status: int, detail: str) -> Response[dict[str, object]]:
    return Response({"status_code": status, "detail": detail}, status_code=status)


def _not_found(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    return _error(404, f"no device {exc}")


def _bad_task(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    return _error(400, str(exc))


def _no_preset(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    return _error(404, f"no preset {exc}")


def _preset_exists(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    return _error(409, f"preset {exc} exists already; PUT /api/presets/{exc} replaces it")


def _forbidden(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    return _error(403, str(exc))


def _busy(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, object]]:
    return Response(
        {"status_code": 503, "detail": "device busy, retry"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """An unexpected error: the traceback goes to the log, never to the client."""
    if unavailable(exc):
        return database_unavailable(request, exc)
    if isinstance(exc, HTTPException):
        log.warning("%s %s failed: %s", request.method, request.url.path, exc.detail)
    else:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _error(500, "internal error")


def create_app(
    settings: Settings, database_url: str, drain: worker_drain.Drain | None = None
) -> Litestar:
    """The ACS as an ASGI application on an already migrated database; `drain` is how the
    server tells it to stop opening CWMP sessions (by default, this process's)."""
    holder: dict[str, Any] = {}
    http = HttpMetrics()
    drain = worker_drain.WORKER if drain is None else drain
    readiness = Readiness(database_url, settings.ready_max_lag, drain)

    def startup() -> None:
        services = holder["services"] = build_services(settings, database_url)
        holder["expiry"] = TransferExpiry(services)
        holder["expiry"].start()
        holder["task_expiry"] = TaskExpiry(services.read, services.commands)
        holder["task_expiry"].start()
        if settings.run_projections:
            services.projector.start()
        if services.webhook_delivery is not None:
            services.webhook_delivery.start()

    async def start_driver() -> None:
        services: Services = holder["services"]
        holder["driver"] = build_driver(services, database_url)
        if holder["driver"] is not None:
            holder["driver"].start()

    async def stop_driver() -> None:
        driver = holder.pop("driver", None)
        if driver is not None:
            await driver.stop()

    def shutdown() -> None:
        readiness.close()
        services = holder.pop("services", None)
        if "expiry" in holder:
            holder.pop("expiry").stop()
        if "task_expiry" in holder:
            holder.pop("task_expiry").stop()
        if services is not None:
            services.projector.stop()
            if services.webhook_delivery is not None:
                services.webhook_delivery.stop()
            services.executor.shutdown(wait=True)
            services.pool.close()
            services.store.close()

    app = Litestar(
        route_handlers=[
            cwmp_endpoint(lambda: holder["services"], drain, settings.max_body_bytes),
            upload_endpoint,
            DeviceController,
            CwmpCredentialController,
            FileController,
            HistoryController,
            PresetController,
            get_task,
            get_stats,
            get_projection_status,
            WebhookController,
            metrics_endpoint(http),
            upload_handler(settings.max_file_bytes),
            list_files,
            delete_file,
            serve_file,
            CampaignController,
            BulkController,
            KeyController,
            UserController,
            *pages_overview.PAGES,
            *pages_devices.PAGES,
            *pages_device.PAGES,
            *pages_presets.PAGES,
            *pages_files.pages(settings.max_file_bytes),
            *pages_campaigns.PAGES,
            *pages_webhooks.PAGES,
            *pages_admin.PAGES,
            static_router(),
            login_form,
            login,
            logout,
            health,
            ready_endpoint(readiness),
        ],
        middleware=[
            http.middleware,
            secure_headers,
            *([require_client_certificate] if settings.tls_client_ca else []),
        ],
        guards=[access_guard(lambda: holder["services"])],
        before_request=refuse_nul,
        dependencies={
            "services": Provide(lambda: holder["services"], sync_to_thread=False),
            "actor": Provide(actor_of, sync_to_thread=False),
            "drain": Provide(lambda: drain, sync_to_thread=False),
        },
        on_startup=[startup, start_driver, settle],
        on_shutdown=[stop_driver, shutdown],
        exception_handlers={
            DeviceNotFoundError: _not_found,
            TaskSpecError: _bad_task,
            DeviceQueryError: _bad_task,
            InvalidTagError: _bad_task,
            PresetError: _bad_task,
            PresetNotFoundError: _no_preset,
            PresetExistsError: _preset_exists,
            UploadRejectedError: _forbidden,
            ConcurrencyError: _busy,
            **dict.fromkeys(UNAVAILABLE, database_unavailable),
            NotFoundException: unmatched,
            NotAuthorizedException: page_errors,
            PermissionDeniedException: page_errors,
            MethodNotAllowedException: unmatched,
            HTTP_500_INTERNAL_SERVER_ERROR: _internal_error,
        },
        debug=False,
        logging_config=None,  # adapters/logs.py configures logging; Litestar's would replace it
        template_config=template_config(),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="ACS",
            version="0.1.0",
            path="/schema",
            components=SECURITY_COMPONENTS,
            security=SECURITY,
        ),
    )
    check_rules(app)
    document_errors(app.openapi_schema)
    return app


def app_from_env() -> ASGIApp:
    """Factory for `uvicorn --factory`: settings from the environment, migrations applied;
    `/cwmp` served in front of the router (`with_cwmp_route`)."""
    settings = settings_from_env()
    logs.configure(settings.log_format, logs.log_level())
    if not settings.database_url:
        raise SystemExit("ACS_DATABASE_URL is not set (acs serve sets it for its workers)")
    migrate(settings.database_url)
    return with_cwmp_route(create_app(settings, settings.database_url))
