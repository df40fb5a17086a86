"""The HTTP/1.1 protocol `acs serve` runs: uvicorn's httptools protocol, with two additions.

- **A bounded request head.** httptools itself accepts request lines and headers of any
  size; here a request whose line and headers pass `MAX_HEAD_BYTES` is answered
  `431 Request Header Fields Too Large` and its connection closed.
- **The ASGI TLS extension.** On an HTTPS connection each request's scope carries
  `extensions["tls"]` with the client certificate the handshake verified, if any
  (`client_cert_chain`, `client_cert_name`), so the application can require one on some
  paths only.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

from cryptography import x509
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 32 * 1024
"""The largest request line plus headers accepted, in bytes (Node.js allows 16 KiB, nginx
32 KiB by default)."""

_TOO_LARGE_BODY = json.dumps(
    {"status_code": 431, "detail": f"request line and headers exceed {MAX_HEAD_BYTES} bytes"}
).encode()
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_TOO_LARGE_BODY)).encode() + b"\r\n\r\n" + _TOO_LARGE_BODY
)


def tls_extension(transport: asyncio.BaseTransport) -> dict[object, object] | None:
    """The ASGI TLS extension of a connection (None on plain HTTP): the client certificate
    the handshake verified, as PEM with its subject, or none."""
    ssl_object = transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return None
    der = ssl_object.getpeercert(binary_form=True)
    chain = [ssl.DER_cert_to_PEM_cert(der)] if der else []
    name = x509.load_der_x509_certificate(der).subject.rfc4514_string() if der else None
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": name,
        "client_cert_error": None,
        "tls_version": None,
        "cipher_suite": None,
    }


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded request head and the TLS extension."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._tls: dict[object, object] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Note the connection's TLS details once (they hold for all its requests)."""
        super().connection_made(transport)
        self._tls = tls_extension(transport)

    def data_received(self, data: bytes) -> None:
        """Feed the parser, refusing a request head that grows past `MAX_HEAD_BYTES`."""
        if not self._in_head:
            super().data_received(data)
            return
        room = MAX_HEAD_BYTES - self._head_bytes
        if len(data) <= room:
            self._head_bytes += len(data)
            super().data_received(data)
            return
        super().data_received(data[:room])
        if self.transport.is_closing():
            return
        if self._in_head:
            self.transport.write(_TOO_LARGE)
            self.transport.close()
            return
        self.data_received(data[room:])

    def on_message_begin(self) -> None:
        """A new request: its scope gets the connection's TLS extension."""
        super().on_message_begin()
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}

    def on_headers_complete(self) -> None:
        """The head is complete: the body is not counted."""
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request is complete: the next one's head is counted from zero."""
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0
