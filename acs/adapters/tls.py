"""TLS for `acs serve`: the certificate, key and client CA, checked before any worker starts.

With a client CA, the handshake asks every client for a certificate and verifies the one it
presents (`CERT_OPTIONAL`: a client without one still connects; one with a certificate the
CA did not sign is refused). Which paths require a certificate is the application's decision
(`acs.api.client_cert`): the peer certificate reaches it through the ASGI TLS extension.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import msgspec


class TlsConfigError(ValueError):
    """The TLS settings cannot be served with; the message says which file and why."""


class Tls(msgspec.Struct, frozen=True):
    """The files of an HTTPS listener."""

    cert: Path
    key: Path
    client_ca: Path | None = None

    def uvicorn_options(self) -> dict[str, Any]:
        """The keyword arguments that make uvicorn serve HTTPS with these files."""
        options: dict[str, Any] = {"ssl_certfile": str(self.cert), "ssl_keyfile": str(self.key)}
        if self.client_ca is not None:
            options |= {"ssl_ca_certs": str(self.client_ca), "ssl_cert_reqs": ssl.CERT_OPTIONAL}
        return options


def _no_password() -> bytes:
    """An encrypted key fails to load instead of prompting on the terminal."""
    return b""


def _readable(what: str, path: Path) -> None:
    try:
        with path.open("rb") as file:
            file.read(1)
    except OSError as exc:
        raise TlsConfigError(f"{what} {path}: {exc.strerror or exc}") from exc


def server_context(tls: Tls) -> ssl.SSLContext:
    """An SSL context with the files loaded as uvicorn loads them; TlsConfigError if not."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(tls.cert, tls.key, password=_no_password)
    except ssl.SSLError as exc:
        raise TlsConfigError(
            f"TLS certificate {tls.cert} and key {tls.key} cannot be used ({exc.reason or exc}): "
            "both must be PEM, the key unencrypted and matching the certificate"
        ) from exc
    if tls.client_ca is not None:
        try:
            context.load_verify_locations(cafile=tls.client_ca)
        except ssl.SSLError as exc:
            raise TlsConfigError(
                f"TLS client CA {tls.client_ca} cannot be used ({exc.reason or exc}): "
                "it must hold PEM CA certificates"
            ) from exc
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def checked_tls(cert: Path | None, key: Path | None, client_ca: Path | None) -> Tls | None:
    """The TLS files, checked (both or neither of certificate and key, readable, usable);
    None to serve plain HTTP."""
    if cert is None and key is None:
        if client_ca is not None:
            raise TlsConfigError(
                "a TLS client CA needs a certificate and key "
                "(--tls-cert and --tls-key, or ACS_TLS_CERT and ACS_TLS_KEY)"
            )
        return None
    if cert is None or key is None:
        raise TlsConfigError(
            "give both a TLS certificate and its key "
            "(--tls-cert and --tls-key, or ACS_TLS_CERT and ACS_TLS_KEY), or neither"
        )
    tls = Tls(cert=cert, key=key, client_ca=client_ca)
    _readable("TLS certificate", cert)
    _readable("TLS key", key)
    if client_ca is not None:
        _readable("TLS client CA", client_ca)
    server_context(tls)
    return tls
