"""One CWMP session of a virtual CPE over HTTP (TR-069 3.7): Inform, empty POST, RPCs, 204."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Final

from acs.domain.codec import CodecError, decode, encode
from acs.domain.cwmp_credentials import Identity
from acs.domain.messages import Envelope, Fault, Inform, InformResponse
from acs.loadgen.config import Target
from acs.loadgen.cwmp_login import Login
from acs.loadgen.http import HttpConnection, HttpProtocolError, HttpResponse
from acs.loadgen.virtual_cpe import VirtualCpe

MAX_RPCS: Final = 64
"""A session that asks more RPCs than this is cut short as a protocol error."""
_XML: Final = {"Content-Type": 'text/xml; charset="utf-8"'}


@dataclass(frozen=True)
class SessionResult:
    """How a session ended: its wall time when it completed, else the kind of error; and what
    the ACS acknowledged of it (even when it then failed): the Inform, answers to its RPCs."""

    error: str | None
    elapsed_ms: float | None
    rpcs: tuple[str, ...]
    informed: bool = False
    """The CPE received the InformResponse."""
    answered: int = 0
    """Answers (responses or faults) to the ACS's RPCs that the ACS answered in turn."""


@dataclass
class Acknowledged:
    """What the ACS has acknowledged so far in a session."""

    informed: bool = False
    answered: int = 0


class SessionError(Exception):
    """The ACS answered something that ends the session as an error of this kind."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


async def run_session(
    cpe: VirtualCpe, target: Target, timeout: float, login: Login | None = None
) -> SessionResult:
    """Run one session; `timeout` bounds each HTTP exchange. Errors are returned, not raised.
    With a `login`, a 401 to the Inform is answered with credentials."""
    connection = HttpConnection(target.host, target.port, timeout)
    rpcs: list[str] = []
    acks = Acknowledged()
    error: str | None = None
    elapsed_ms: float | None = None
    try:
        await connection.connect()
        started = time.perf_counter()
        await _exchange(cpe, connection, target.path, (rpcs, acks), login)
        elapsed_ms = (time.perf_counter() - started) * 1000
    except SessionError as exc:
        error = exc.kind
    except TimeoutError:
        error = "timeout"
    except (HttpProtocolError, CodecError):
        error = "protocol_error"
    except (OSError, asyncio.IncompleteReadError):
        error = "connection_error"
    finally:
        await connection.close()
        cpe.end_session(time.time(), completed=error is None and elapsed_ms is not None)
    return SessionResult(error, elapsed_ms, tuple(rpcs), acks.informed, acks.answered)


async def _exchange(
    cpe: VirtualCpe,
    connection: HttpConnection,
    path: str,
    seen: tuple[list[str], Acknowledged],
    login: Login | None,
) -> None:
    """Inform (again with credentials after a 401), then the empty POST, then answer each
    RPC until 204 No Content."""
    cookies = await _inform(cpe, connection, path, login)
    seen[1].informed = True
    response = await connection.request("POST", path, b"", {"Cookie": _cookie(cookies)})
    await _answer_requests(cpe, connection, path, (cookies, response), seen)


async def _inform(
    cpe: VirtualCpe, connection: HttpConnection, path: str, login: Login | None
) -> dict[str, str]:
    """Send the Inform and return the session's cookies once the InformResponse came."""
    inform = cpe.inform(time.time())
    body = encode(Envelope(message=inform, id=str(cpe.informs)))
    response = await connection.request("POST", path, body, _XML)
    if response.status == 401 and login is not None:
        header = login.authorization(
            response.headers.get("www-authenticate", ""), _identity(inform), path
        )
        if header is not None:
            response = await connection.request(
                "POST", path, body, {**_XML, "Authorization": header}
            )
    if not isinstance(_message(response), InformResponse):
        raise SessionError("protocol_error")
    if not response.cookies:
        raise SessionError("protocol_error")
    return dict(response.cookies)


async def _answer_requests(
    cpe: VirtualCpe,
    connection: HttpConnection,
    path: str,
    current: tuple[dict[str, str], HttpResponse],
    seen: tuple[list[str], Acknowledged],
) -> None:
    """Answer each RPC until the ACS ends the session; an answer counts as acknowledged once
    the ACS replies to it (its next RPC or the end)."""
    (cookies, response), (rpcs, acks) = current, seen
    for sent in range(MAX_RPCS + 1):
        if _ended(response):
            acks.answered += int(sent > 0)
            return
        if sent == MAX_RPCS:
            break
        cookies.update(response.cookies)
        request = _envelope(response)
        acks.answered += int(sent > 0)
        rpcs.append(type(request.message).__name__)
        answer = cpe.answer(request.message, time.time())
        body = encode(Envelope(message=answer, version=request.version, id=request.id))
        headers = {**_XML, "Cookie": _cookie(cookies)}
        response = await connection.request("POST", path, body, headers)
    raise SessionError("protocol_error")


def _identity(inform: Inform) -> Identity:
    ident = inform.device_id
    return Identity(ident.oui, ident.product_class, ident.serial_number)


def _ended(response: HttpResponse) -> bool:
    """Whether the ACS ended the session: 204, or an empty 200 (TR-069 3.7.2.4)."""
    return response.status == 204 or (response.status == 200 and not response.body.strip())


def _envelope(response: HttpResponse) -> Envelope:
    """The envelope of a 200 response; an HTTP status or a SOAP Fault is a session error."""
    if response.status != 200:
        raise SessionError(f"http_{response.status}")
    envelope = decode(response.body)
    if isinstance(envelope.message, Fault):
        raise SessionError(f"soap_fault_{envelope.message.code}")
    return envelope


def _message(response: HttpResponse) -> object:
    """The message of a 200 response."""
    return _envelope(response).message


def _cookie(cookies: dict[str, str]) -> str:
    """The Cookie header sending back every cookie the ACS set."""
    return "; ".join(f"{name}={value}" for name, value in cookies.items())
