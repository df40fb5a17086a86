"""The CWMP session as a state machine (TR-069 3.7.1, Figure 4): pure and serialisable.

    AWAIT_INFORM --Inform--> CPE_REQUESTS --empty POST--> ACS_REQUESTS --nothing left--> DONE
                                  |  TransferComplete,          |  RPC sent / answered
                                  +- GetRPCMethods (answered)   +- (loops)

Each step returns the next state, the reply to send (None: an empty HTTP body) and what the
application must do: record an Inform, record an answer, or pick the next RPC. Illegal input
raises `CwmpProtocolError` and leaves the state as it was.
"""

from __future__ import annotations

import enum

import msgspec

from acs.domain.messages import (
    RESPONSE_OF,
    AcsRequest,
    AnyMessage,
    AutonomousTransferComplete,
    AutonomousTransferCompleteResponse,
    CwmpVersion,
    Envelope,
    Fault,
    FaultCode,
    GetRPCMethods,
    GetRPCMethodsResponse,
    Inform,
    InformResponse,
    Kicked,
    Message,
    RequestDownload,
    RequestDownloadResponse,
    TransferComplete,
    TransferCompleteResponse,
)

ACS_METHODS: tuple[str, ...] = (
    "Inform",
    "GetRPCMethods",
    "TransferComplete",
    "AutonomousTransferComplete",
    "RequestDownload",
)
"""The CPE->ACS methods this ACS implements (answered to GetRPCMethods, A.3.1.1)."""


class Phase(enum.Enum):
    """Where a session stands."""

    AWAIT_INFORM = "await_inform"
    CPE_REQUESTS = "cpe_requests"
    ACS_REQUESTS = "acs_requests"
    DONE = "done"


class Action(enum.Enum):
    """What the application must do after a step."""

    NONE = "none"
    RECORD_INFORM = "record_inform"
    RECORD_REQUEST = "record_request"
    RECORD_ANSWER = "record_answer"
    NEXT_RPC = "next_rpc"


class Session(msgspec.Struct, frozen=True):
    """A session's state; any worker can continue it from this value."""

    id: str
    version: CwmpVersion = CwmpVersion.V1_0
    phase: Phase = Phase.AWAIT_INFORM
    device_id: str = ""
    pending_method: str = ""
    pending_id: str = ""
    sent: int = 0
    timeout: int | None = None
    event_codes: tuple[str, ...] = ()
    provision_rounds: int = 0


class Step(msgspec.Struct, frozen=True):
    """The outcome of one input: next state, reply and action."""

    session: Session
    reply: Envelope | None
    action: Action


class CwmpProtocolError(Exception):
    """The CPE broke the session protocol; `fault` is the CWMP fault to answer with."""

    def __init__(self, code: FaultCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def receive(session: Session, envelope: Envelope | None) -> Step:
    """Take one CPE message (None for an empty POST) in the current phase."""
    message = envelope.message if envelope else None
    match session.phase, message:
        case Phase.AWAIT_INFORM, Inform():
            assert envelope is not None
            started = msgspec.structs.replace(
                session,
                phase=Phase.CPE_REQUESTS,
                version=envelope.version,
                timeout=_bounded(envelope.session_timeout),
                event_codes=tuple(e.event_code for e in message.events),
            )
            reply = msgspec.structs.replace(
                _reply(started, envelope, InformResponse()),
                use_version=negotiate(envelope.supported_versions),
            )
            return Step(started, reply, Action.RECORD_INFORM)
        case Phase.AWAIT_INFORM, _:
            raise CwmpProtocolError(FaultCode.REQUEST_DENIED, "a session must open with Inform")
        case Phase.CPE_REQUESTS, None:
            ready = msgspec.structs.replace(session, phase=Phase.ACS_REQUESTS)
            return Step(ready, None, Action.NEXT_RPC)
        case (
            Phase.CPE_REQUESTS,
            TransferComplete() | AutonomousTransferComplete() | RequestDownload(),
        ):
            assert envelope is not None
            answer = _CPE_REQUEST_ANSWERS[type(message)]
            return Step(session, _reply(session, envelope, answer), Action.RECORD_REQUEST)
        case Phase.CPE_REQUESTS, Kicked():
            raise CwmpProtocolError(FaultCode.METHOD_NOT_SUPPORTED, "Kicked is not supported")
        case Phase.CPE_REQUESTS, GetRPCMethods():
            assert envelope is not None
            answer = GetRPCMethodsResponse(methods=ACS_METHODS)
            return Step(session, _reply(session, envelope, answer), Action.NONE)
        case ((Phase.CPE_REQUESTS | Phase.ACS_REQUESTS), Inform()):
            raise CwmpProtocolError(FaultCode.REQUEST_DENIED, "a session has one Inform")
        case Phase.ACS_REQUESTS, _:
            return _answer(session, message)
        case Phase.DONE, _:
            raise CwmpProtocolError(FaultCode.REQUEST_DENIED, "the session is over")
    raise CwmpProtocolError(FaultCode.METHOD_NOT_SUPPORTED, f"{_name(message)} is not supported")


_CPE_REQUEST_ANSWERS: dict[type[Message], AnyMessage] = {
    TransferComplete: TransferCompleteResponse(),
    AutonomousTransferComplete: AutonomousTransferCompleteResponse(),
    RequestDownload: RequestDownloadResponse(),
}

SUPPORTED_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4")


def _bounded(timeout: int | None) -> int | None:
    """A CPE's SessionTimeout, kept within 5 s to 1 h."""
    return None if timeout is None else min(max(timeout, 5), 3600)


def negotiate(offered: str | None) -> str | None:
    """The highest CWMP version both sides support, for `UseCWMPVersion` (A.4.1, CWMP 1.4)."""
    if not offered:
        return None
    common = [v.strip() for v in offered.split(",") if v.strip() in SUPPORTED_VERSIONS]
    return max(common, key=lambda v: tuple(int(p) for p in v.split("."))) if common else None


def _answer(session: Session, message: Message | None) -> Step:
    """In ACS_REQUESTS the CPE answers the RPC in flight, or posts empty when none is."""
    if not session.pending_method:
        if message is None:
            return Step(session, None, Action.NEXT_RPC)
        raise CwmpProtocolError(FaultCode.REQUEST_DENIED, f"unexpected {_name(message)}")
    if message is None:
        raise CwmpProtocolError(
            FaultCode.INVALID_ARGUMENTS, f"an answer to {session.pending_method} is due"
        )
    expected = _response_name(session.pending_method)
    if not isinstance(message, Fault) and _name(message) != expected:
        raise CwmpProtocolError(
            FaultCode.INVALID_ARGUMENTS, f"expected {expected}, got {_name(message)}"
        )
    answered = msgspec.structs.replace(session, pending_method="", pending_id="")
    return Step(answered, None, Action.RECORD_ANSWER)


def send(session: Session, request: AcsRequest, request_id: str) -> Step:
    """Send the next RPC (after a NEXT_RPC action)."""
    if session.phase is not Phase.ACS_REQUESTS or session.pending_method:
        raise CwmpProtocolError(FaultCode.INTERNAL_ERROR, "no RPC can be sent now")
    busy = msgspec.structs.replace(
        session, pending_method=_name(request), pending_id=request_id, sent=session.sent + 1
    )
    return Step(busy, Envelope(request, busy.version, request_id), Action.NONE)


def finish(session: Session) -> Step:
    """Nothing is left to send: the session ends with an empty response (204)."""
    if session.phase is not Phase.ACS_REQUESTS or session.pending_method:
        raise CwmpProtocolError(FaultCode.INTERNAL_ERROR, "the session cannot end now")
    return Step(msgspec.structs.replace(session, phase=Phase.DONE), None, Action.NONE)


def fault_reply(session: Session, error: CwmpProtocolError, request_id: str | None) -> Envelope:
    """The SOAP Fault that answers a protocol error (A.5.1)."""
    return Envelope(Fault(code=int(error.code), string=error.message), session.version, request_id)


def _reply(session: Session, request: Envelope, message: AnyMessage) -> Envelope:
    """A response in the CPE's own namespace, echoing its `cwmp:ID` (A.4.1)."""
    return Envelope(message, session.version, request.id)


def _response_name(method: str) -> str:
    for request, response in RESPONSE_OF.items():
        if request.__name__ == method:
            return response.__name__
    return f"{method}Response"


def _name(message: Message | None) -> str:
    return type(message).__name__ if message is not None else "an empty message"
