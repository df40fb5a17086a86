"""A minimal HTTP/1.1 client on asyncio streams: one keep-alive connection per CWMP session."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Final

_MAX_HEADER_BYTES: Final = 64 * 1024
_MAX_BODY_BYTES: Final = 16 * 1024 * 1024
_NO_BODY: Final = frozenset({204, 304})


class HttpProtocolError(Exception):
    """The server's answer is not HTTP/1.1 as this client understands it."""


@dataclass(frozen=True)
class HttpResponse:
    """A status, the headers (lower-case names, last value wins), the cookies set, the body."""

    status: int
    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def request_head(method: str, host: str, path: str, headers: dict[str, str], length: int) -> bytes:
    """The request line and headers, with Content-Length framing."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_head(head: bytes) -> tuple[int, dict[str, str], dict[str, str]]:
    """The status, headers and Set-Cookie name=value pairs of a response head."""
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise HttpProtocolError(f"bad status line {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise HttpProtocolError(f"bad header line {line[:80]!r}")
        name, value = name.strip().lower(), value.strip()
        headers[name] = value
        if name == "set-cookie":
            key, _, cookie = value.split(";", 1)[0].partition("=")
            cookies[key.strip()] = cookie.strip()
    return int(code), headers, cookies


class HttpConnection:
    """Sends requests one after the other on one connection, reopened if the server closed it."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        """A connection to host:port; every request must finish within `timeout` seconds."""
        self.host, self.port, self.timeout = host, port, timeout
        self.authority = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        """Open the connection now, so that the first request's timing leaves it out."""
        async with asyncio.timeout(self.timeout):
            await self._streams()

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> HttpResponse:
        """Send one request and read its response (TimeoutError, OSError, HttpProtocolError)."""
        head = request_head(method, self.authority, path, headers or {}, len(body))
        async with asyncio.timeout(self.timeout):
            reader, writer = await self._streams()
            writer.write(head + body)
            response = await self._read(reader, method)
        if response.headers.get("connection", "").lower() == "close":
            await self.close()
        return response

    async def _streams(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The open connection, or a new one."""
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def _read(self, reader: asyncio.StreamReader, method: str) -> HttpResponse:
        """Read a response: Content-Length, chunked, or until the server closes."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as exc:
            raise HttpProtocolError("response head too large") from exc
        except asyncio.IncompleteReadError as exc:
            raise ConnectionResetError("connection closed before a response") from exc
        status, headers, cookies = parse_head(head[:-4])
        if status in _NO_BODY or 100 <= status < 200 or method == "HEAD":
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        elif "content-length" in headers:
            length = headers["content-length"]
            if not length.isdigit() or int(length) > _MAX_BODY_BYTES:
                raise HttpProtocolError(f"bad Content-Length {length[:20]!r}")
            body = await reader.readexactly(int(length))
        else:
            body = await reader.read(_MAX_BODY_BYTES)
            await self.close()
        return HttpResponse(status, headers, cookies, body)

    async def close(self) -> None:
        """Close the connection (a later request opens a new one)."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body (RFC 9112 7.1), trailers skipped."""
    chunks: list[bytes] = []
    total = 0
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError as exc:
            raise HttpProtocolError(f"bad chunk size {size_line[:20]!r}") from exc
        total += size
        if total > _MAX_BODY_BYTES:
            raise HttpProtocolError("chunked body too large")
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
