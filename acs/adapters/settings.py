"""Settings, read once from the environment at start and passed down explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every setting of the ACS, with its environment variable in the field's doc."""

    database_url: str | None = None
    """ACS_DATABASE_URL: libpq URL of the PostgreSQL server; unset starts an embedded one."""
    data_dir: Path = Path("var")
    """ACS_DATA_DIR: where the embedded PostgreSQL keeps its data."""
    session_timeout: float = 30.0
    """ACS_CWMP_SESSION_TIMEOUT: seconds a CWMP session may stay idle before it expires."""
    max_body_bytes: int = 4 * 1024 * 1024
    """ACS_MAX_BODY_BYTES: largest request body accepted on /cwmp and /api (413 above)."""
    db_pool_size: int = 16
    """ACS_DB_POOL_SIZE: connections per worker, also the size of its blocking-call pool."""
    db_timeout: float = 3.0
    """ACS_DB_TIMEOUT: seconds a request waits for a database connection (and a connection
    attempt may take); while PostgreSQL is unavailable, requests get 503 within it."""
    run_projections: bool = True
    """ACS_RUN_PROJECTIONS: whether this process may run the projector (one runs at a time)."""
    secret_key: str | None = None
    """ACS_SECRET_KEY: keys sealing stored passwords, newest first, comma-separated; unset
    keeps a generated key in the database."""
    public_url: str | None = None
    """ACS_PUBLIC_URL: the ACS's URL as CPEs reach it (for upload URLs); unset uses the
    address each CPE used."""
    connection_request_timeout: float = 5.0
    """ACS_CONNECTION_REQUEST_TIMEOUT: seconds to wait for a CPE's connection-request answer."""
    state_cache_size: int = 10000
    """ACS_STATE_CACHE_SIZE: device states each worker keeps in memory (0: none)."""
    state_cache_parameters: int = 200_000
    """ACS_STATE_CACHE_PARAMETERS: parameters those cached states may hold in all (about
    250 bytes each: 200,000 is about 50 MB per worker); the least recently used states
    go first."""
    transfer_timeout: float = 3600.0
    """ACS_TRANSFER_TIMEOUT: seconds a download or upload may take before its task faults."""
    task_expiry: float | None = None
    """ACS_TASK_EXPIRY: seconds a task never sent stays due when its request gives neither
    `expires_in` nor `expires_at` (then it ends `expired`); unset: such tasks never expire."""
    max_file_bytes: int = 256 * 1024 * 1024
    """ACS_MAX_FILE_BYTES: largest file operators may store with POST /api/files (413 above)."""
    campaign_interval: float = 5.0
    """ACS_CAMPAIGN_INTERVAL: seconds between two rounds of the campaign and bulk driver."""
    webhook_retry_base: float = 1.0
    """ACS_WEBHOOK_RETRY_BASE: seconds before a failed webhook request's first retry (doubled
    after each failure in a row)."""
    webhook_retry_max: float = 300.0
    """ACS_WEBHOOK_RETRY_MAX: the longest wait between two attempts of a webhook request."""
    webhook_timeout: float = 10.0
    """ACS_WEBHOOK_TIMEOUT: seconds to wait for a webhook receiver's answer."""
    bootstrap_api_key: str | None = None
    """ACS_BOOTSTRAP_API_KEY: an admin API key (named `bootstrap`) ensured at start, for
    automation; at least 20 characters. Unset: keys come from `acs apikey create`."""
    cwmp_auth: Literal["none", "basic", "digest"] = "none"
    """ACS_CWMP_AUTH: how CPEs authenticate their sessions on /cwmp: `none`, `basic` (HTTP
    Basic, over TLS only unless allowed) or `digest` (HTTP Digest, MD5, qop=auth)."""
    cwmp_username: str = ""
    """ACS_CWMP_USERNAME: the shared user name of CPEs without their own credentials."""
    cwmp_password: str = ""
    """ACS_CWMP_PASSWORD: the shared password that goes with ACS_CWMP_USERNAME."""
    cwmp_credential_rule: str = ""
    """ACS_CWMP_CREDENTIAL_RULE: derives each CPE's user name from its DeviceId, with
    `{oui}`, `{product_class}` and `{serial}` (e.g. `{oui}-{product_class}-{serial}`); its
    password is the hex HMAC-SHA256 of the user name under ACS_CWMP_CREDENTIAL_SECRET."""
    cwmp_credential_secret: str = ""
    """ACS_CWMP_CREDENTIAL_SECRET: the secret the derived passwords are computed with."""
    cwmp_allow_basic_without_tls: bool = False
    """ACS_CWMP_ALLOW_BASIC_WITHOUT_TLS: accept HTTP Basic over plain HTTP too."""
    cwmp_allow_bootstrap: bool = False
    """ACS_CWMP_ALLOW_BOOTSTRAP: let a device the ACS does not know, and has no credentials
    for, open its first session unauthenticated (to register)."""
    cwmp_nonce_ttl: float = 300.0
    """ACS_CWMP_NONCE_TTL: seconds a Digest nonce stays valid (then `stale=true`)."""
    tls_cert: Path | None = None
    """ACS_TLS_CERT: PEM certificate (chain) `acs serve` presents; with ACS_TLS_KEY, it serves
    HTTPS only."""
    tls_key: Path | None = None
    """ACS_TLS_KEY: the unencrypted PEM private key of ACS_TLS_CERT."""
    tls_client_ca: Path | None = None
    """ACS_TLS_CLIENT_CA: PEM CA certificates; when set, /cwmp requires a client certificate
    signed by one of them (other paths accept connections without one)."""
    provisioner_timeout: float = 2.0
    """ACS_PROVISIONER_TIMEOUT: seconds a preset's provisioner (a Python extension) may take
    to answer before its preset faults."""
    ready_max_lag: float = 30.0
    """ACS_READY_MAX_LAG: the projection lag, in seconds, above which GET /ready answers 503."""
    shutdown_timeout: float = 30.0
    """ACS_SHUTDOWN_TIMEOUT: seconds a worker told to stop (SIGTERM, SIGINT) keeps serving
    the CWMP sessions it has open, then the requests in flight, before it exits."""
    log_format: Literal["text", "json"] = "text"
    """ACS_LOG_FORMAT: `text` (one readable line per record) or `json` (one JSON object per
    line, with the device and session ids of the CWMP session being handled)."""

    def __post_init__(self) -> None:
        """Rules a field's type cannot express."""
        if self.task_expiry is not None and self.task_expiry <= 0:
            raise ValueError("ACS_TASK_EXPIRY must be above 0 seconds (unset: never)")


_ENV = {
    "database_url": "ACS_DATABASE_URL",
    "data_dir": "ACS_DATA_DIR",
    "session_timeout": "ACS_CWMP_SESSION_TIMEOUT",
    "max_body_bytes": "ACS_MAX_BODY_BYTES",
    "db_pool_size": "ACS_DB_POOL_SIZE",
    "db_timeout": "ACS_DB_TIMEOUT",
    "run_projections": "ACS_RUN_PROJECTIONS",
    "secret_key": "ACS_SECRET_KEY",
    "public_url": "ACS_PUBLIC_URL",
    "connection_request_timeout": "ACS_CONNECTION_REQUEST_TIMEOUT",
    "transfer_timeout": "ACS_TRANSFER_TIMEOUT",
    "task_expiry": "ACS_TASK_EXPIRY",
    "state_cache_size": "ACS_STATE_CACHE_SIZE",
    "state_cache_parameters": "ACS_STATE_CACHE_PARAMETERS",
    "max_file_bytes": "ACS_MAX_FILE_BYTES",
    "campaign_interval": "ACS_CAMPAIGN_INTERVAL",
    "webhook_retry_base": "ACS_WEBHOOK_RETRY_BASE",
    "webhook_retry_max": "ACS_WEBHOOK_RETRY_MAX",
    "webhook_timeout": "ACS_WEBHOOK_TIMEOUT",
    "bootstrap_api_key": "ACS_BOOTSTRAP_API_KEY",
    "cwmp_auth": "ACS_CWMP_AUTH",
    "cwmp_username": "ACS_CWMP_USERNAME",
    "cwmp_password": "ACS_CWMP_PASSWORD",
    "cwmp_credential_rule": "ACS_CWMP_CREDENTIAL_RULE",
    "cwmp_credential_secret": "ACS_CWMP_CREDENTIAL_SECRET",
    "cwmp_allow_basic_without_tls": "ACS_CWMP_ALLOW_BASIC_WITHOUT_TLS",
    "cwmp_allow_bootstrap": "ACS_CWMP_ALLOW_BOOTSTRAP",
    "cwmp_nonce_ttl": "ACS_CWMP_NONCE_TTL",
    "tls_cert": "ACS_TLS_CERT",
    "tls_key": "ACS_TLS_KEY",
    "tls_client_ca": "ACS_TLS_CLIENT_CA",
    "provisioner_timeout": "ACS_PROVISIONER_TIMEOUT",
    "ready_max_lag": "ACS_READY_MAX_LAG",
    "shutdown_timeout": "ACS_SHUTDOWN_TIMEOUT",
    "log_format": "ACS_LOG_FORMAT",
}
ENVIRONMENT: Mapping[str, str] = _ENV
"""The environment variable of every setting."""


def _path(kind: type, value: Any) -> Any:
    """msgspec's hook for the types it does not convert itself: file paths."""
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"no conversion to {kind}")


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from environment variables; unset ones keep their defaults."""
    env = os.environ if environ is None else environ
    given = {field: env[var] for field, var in _ENV.items() if env.get(var)}
    try:
        return msgspec.convert(given, Settings, strict=False, dec_hook=_path)
    except msgspec.ValidationError as exc:
        raise SystemExit(f"invalid setting: {exc}") from exc
