"""One CWMP session over HTTP (TR-069 3.7): Inform, the CPE's requests, the ACS's requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.support.cpe_http import AcsConnection
from tests.support.cpe_requests import CpeRequest
from tests.support.cpe_soap import Message, SimulatorError, new_id, parse
from tests.support.cpe_transfers import CompletedTransfer

if TYPE_CHECKING:
    from tests.support.cpe import SimulatedCpe


@dataclass
class SessionLog:
    """What happened in one CWMP session, for a test to assert on."""

    events: list[str]
    rpcs: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    faults: list[int] = field(default_factory=list)
    inform_response_ok: bool = False
    inform_id_echoed: bool = False
    cookies_sent: bool = False
    cookies: dict[str, str] = field(default_factory=dict)
    request_cookie_headers: list[str | None] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)
    responses: list[bytes] = field(default_factory=list)
    request_answers: list[tuple[str, str | int]] = field(default_factory=list)
    use_version: str | None = None
    hold_requests_seen: bool = False
    transfers: list[CompletedTransfer] = field(default_factory=list)
    disconnected_after: str | None = None
    """The RPC after which the CPE dropped the connection without answering, if it did."""


async def run_cwmp_session(
    cpe: SimulatedCpe, events: Sequence[str] | None, requests: Sequence[CpeRequest]
) -> SessionLog:
    """Inform, CPE requests, empty POST, answers to the ACS, then the file transfers; the
    connection closes early after the RPC named by `cpe.disconnect_after`."""
    cpe.begin_session(requests)
    chosen = list(cpe.next_events() if events is None else events)
    chosen += [r.event for r in requests if r.event and r.event not in chosen]
    log = SessionLog(events=chosen)
    inform_id = new_id()
    async with cpe.connection() as http:
        reply = await _exchange(cpe, http, log, cpe.build_inform(chosen, cwmp_id=inform_id))
        if reply is None:
            raise SimulatorError(f"no InformResponse: HTTP {log.statuses[-1]} with no body")
        message = _note(log, reply)
        log.inform_id_echoed = cpe.accept_inform_message(message, chosen) == inform_id
        log.inform_response_ok, log.use_version = True, message.use_version
        for request in cpe.requests_for(chosen):
            if message.hold_requests:
                break
            reply = await _exchange(cpe, http, log, cpe.build_request(request), fault_ok=True)
            if reply is None:
                raise SimulatorError(f"the ACS ended the session, not answering {request.method}")
            message = _note(log, reply)
            log.request_answers.append((request.method, cpe.accept_request_answer(request, reply)))
        reply = await _exchange(cpe, http, log, b"")
        while reply is not None:
            message = _note(log, reply)
            log.rpcs.append(message.method)
            answer, fault = cpe.respond(message)
            if message.method == cpe.disconnect_after:
                log.disconnected_after, cpe.disconnect_after = message.method, None
                break
            if fault is not None:
                log.faults.append(fault)
            reply = await _exchange(cpe, http, log, answer)
        log.cookies = dict(http.cookies)
    cpe.end_session(carry_out=not (log.disconnected_after and cpe.disconnect_forgets))
    log.transfers = await cpe.perform_transfers()
    return log


def _note(log: SessionLog, reply: bytes) -> Message:
    """Parse an ACS message, noting a HoldRequests header."""
    message = parse(reply)
    log.hold_requests_seen = log.hold_requests_seen or message.hold_requests
    return message


async def _exchange(
    cpe: SimulatedCpe, http: AcsConnection, log: SessionLog, body: bytes, *, fault_ok: bool = False
) -> bytes | None:
    """POST one message; the ACS's body (a 4xx/5xx Fault too if `fault_ok`), None at the end."""
    if len(log.statuses) >= cpe.max_exchanges:
        raise SimulatorError(f"the ACS kept the session open past {cpe.max_exchanges} POSTs")
    response = await http.post(body)
    log.requests.append(body)
    log.responses.append(response.content)
    log.statuses.append(response.status_code)
    log.request_cookie_headers.append(response.request.headers.get("cookie"))
    log.cookies_sent = log.cookies_sent or bool(response.headers.get_list("set-cookie"))
    if fault_ok and response.status_code >= 400 and _is_fault(response.content):
        return response.content
    if response.status_code not in (200, 204):
        raise SimulatorError(f"HTTP {response.status_code} from the ACS: {response.text[:500]!r}")
    if response.status_code == 204 or not response.content.strip():
        return None
    return response.content


def _is_fault(body: bytes) -> bool:
    """Whether a body is a SOAP Fault."""
    try:
        return parse(body).method == "Fault"
    except SimulatorError:
        return False
