"""A simulated CPE's connection request server (TR-069 3.2.2), on loopback, stdlib asyncio.

An authenticated HTTP GET on its URL makes the CPE answer 200 at once and then open a CWMP
session with the event "6 CONNECTION REQUEST" in the background::

    async with ConnectionRequestServer(cpe, "user", "pass") as server:
        ...  # the ACS learns server.url from the CPE's Inform (ConnectionRequestURL)
        log = await server.wait_for_session(10)

Everything is bounded: header sizes, requests per connection, sessions, and every await.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from tests.support.digest_auth import DigestAuthenticator

if TYPE_CHECKING:
    from tests.support.cpe import SessionLog, SimulatedCpe

CONNECTION_REQUEST: Final = "6 CONNECTION REQUEST"
MANAGEMENT: Final = "InternetGatewayDevice.ManagementServer."
_REASONS: Final = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    501: "Not Implemented",
    503: "Service Unavailable",
}
_MAX_HEAD: Final = 16 * 1024
_MAX_BODY: Final = 64 * 1024


@dataclass(frozen=True)
class HttpRequest:
    """The parts of an HTTP/1.1 request the server looks at."""

    method: str
    target: str
    version: str
    headers: dict[str, str]

    @property
    def keep_alive(self) -> bool:
        """Whether the connection stays open after the response."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


def parse_head(head: bytes) -> HttpRequest:
    """Parse a request line and headers (ending in an empty line); ValueError if malformed."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not HTTP/1.x: {version!r}")
    headers: dict[str, str] = {}
    for line in filter(None, lines[1:]):
        name, separator, value = line.partition(":")
        if not separator or not name.strip():
            raise ValueError(f"bad header line: {line!r}")
        headers[name.strip().lower()] = value.strip()
    return HttpRequest(method, target, version, headers)


class ConnectionRequestServer:
    """A CPE's connection request endpoint: Digest (or Basic) authenticated GETs start sessions."""

    def __init__(
        self,
        cpe: SimulatedCpe,
        username: str | None = None,
        password: str | None = None,
        *,
        path: str | None = None,
        realm: str = "HuaweiHomeGateway",
        allow_basic: bool = False,
        max_sessions: int = 10,
        session_timeout: float = 30.0,
        io_timeout: float = 5.0,
        max_requests_per_connection: int = 8,
    ) -> None:
        self.cpe = cpe
        if username is not None:
            cpe.set_value(MANAGEMENT + "ConnectionRequestUsername", username)
        if password is not None:
            cpe.set_value(MANAGEMENT + "ConnectionRequestPassword", password)
        self.path = path or f"/cr/{secrets.token_hex(4)}"
        self.auth = DigestAuthenticator(
            realm,
            lambda: (cpe.connection_request_username, cpe.connection_request_password),
            allow_basic=allow_basic,
        )
        self.max_sessions = max_sessions
        self.session_timeout = session_timeout
        self.io_timeout = io_timeout
        self.max_requests_per_connection = max_requests_per_connection
        self.url = ""
        self.hits = 0
        self.failed_auth = 0
        self.busy = 0
        self.sessions: list[SessionLog] = []
        self.errors: list[Exception] = []
        self._outcomes: asyncio.Queue[SessionLog | Exception] = asyncio.Queue()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._session: asyncio.Task[None] | None = None
        self._started = 0

    async def __aenter__(self) -> ConnectionRequestServer:
        """Listen on 127.0.0.1 (a random port) and report the URL as ConnectionRequestURL."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=_MAX_HEAD)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{self.path}"
        self.cpe.set_value(MANAGEMENT + "ConnectionRequestURL", self.url)
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop listening, let a running session finish (bounded), drop open connections."""
        if self._server is not None:
            self._server.close()
        if self._session is not None:
            await asyncio.wait({self._session}, timeout=self.session_timeout)
            self._session.cancel()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=self.io_timeout)
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), self.io_timeout)

    async def wait_for_session(self, timeout: float = 10.0) -> SessionLog:
        """The next session a connection request started; raises what it failed with, if so."""
        outcome = await asyncio.wait_for(self._outcomes.get(), timeout)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    @property
    def session_running(self) -> bool:
        """Whether the CPE is in a session (started here or by the test)."""
        return self.cpe.in_session or (self._session is not None and not self._session.done())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One TCP connection: up to a few requests, each answered in turn."""
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            for _ in range(self.max_requests_per_connection):
                request = await self._read(reader, writer)
                if request is None:
                    break
                status, headers = self._answer(request)
                await self._send(writer, status, headers, keep_alive=request.keep_alive)
                if status == 200:
                    self._start_session()
                if not request.keep_alive:
                    break
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(TimeoutError, ConnectionError):
                await asyncio.wait_for(writer.wait_closed(), self.io_timeout)
            if task is not None:
                self._connections.discard(task)

    async def _read(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> HttpRequest | None:
        """The next request (its body read and ignored), or None at EOF or on a bad request."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.io_timeout)
            request = parse_head(head)
        except asyncio.IncompleteReadError:
            return None
        except (asyncio.LimitOverrunError, ValueError):
            await self._send(writer, 400, [], keep_alive=False)
            return None
        if "transfer-encoding" in request.headers:
            await self._send(writer, 501, [], keep_alive=False)
            return None
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > _MAX_BODY:
            await self._send(writer, 413, [], keep_alive=False)
            return None
        await asyncio.wait_for(reader.readexactly(int(length)), self.io_timeout)
        return request

    def _answer(self, request: HttpRequest) -> tuple[int, list[tuple[str, str]]]:
        """The status and headers for a request: 404, 405, 401 with a challenge, 503 or 200."""
        if request.target.split("?", 1)[0] != self.path:
            return 404, []
        if request.method != "GET":
            return 405, [("Allow", "GET")]
        authorization = request.headers.get("authorization")
        if not self.auth.verify(request.method, request.target, authorization):
            self.failed_auth += authorization is not None
            return 401, [("WWW-Authenticate", value) for value in self.auth.challenges()]
        self.hits += 1
        if self.session_running or self._started >= self.max_sessions:
            self.busy += 1
            return 503, [("Retry-After", "1")]
        return 200, []

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        headers: list[tuple[str, str]],
        *,
        keep_alive: bool,
    ) -> None:
        """Write a response without a body."""
        lines = [f"HTTP/1.1 {status} {_REASONS[status]}", "Content-Length: 0"]
        lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
        lines += [f"{name}: {value}" for name, value in headers]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await asyncio.wait_for(writer.drain(), self.io_timeout)

    def _start_session(self) -> None:
        """Open a CWMP session with "6 CONNECTION REQUEST" (and any pending events)."""
        self._started += 1
        self._session = asyncio.create_task(self._run_session())

    async def _run_session(self) -> None:
        """Run the session, recording its log or what it failed with."""
        outcome: SessionLog | Exception
        try:
            events = self.cpe.next_events(CONNECTION_REQUEST)
            outcome = await asyncio.wait_for(self.cpe.run_session(events), self.session_timeout)
        except Exception as error:  # recorded for the test, which awaits wait_for_session
            self.errors.append(error)
            outcome = error
        else:
            self.sessions.append(outcome)
        self._outcomes.put_nowait(outcome)
