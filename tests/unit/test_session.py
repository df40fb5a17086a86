"""The CWMP session state machine, as tables of (phase, message) -> outcome."""

from __future__ import annotations

import msgspec
import pytest

from acs.domain import session as machine
from acs.domain.messages import (
    CwmpVersion,
    DeviceIdStruct,
    Envelope,
    EventStruct,
    FactoryResetResponse,
    Fault,
    FaultCode,
    GetParameterValues,
    GetParameterValuesResponse,
    GetRPCMethods,
    GetRPCMethodsResponse,
    Inform,
    InformResponse,
    Message,
    RebootResponse,
    TransferComplete,
    TransferCompleteResponse,
)
from acs.domain.session import Action, CwmpProtocolError, Phase, Session

INFORM = Inform(
    device_id=DeviceIdStruct("Acme", "00AABB", "Box", "S1"),
    events=(EventStruct("2 PERIODIC"),),
    max_envelopes=1,
    current_time=None,
    retry_count=0,
    parameters=(),
)
TRANSFER = TransferComplete(
    command_key="k", fault_code=0, fault_string="", start_time=None, complete_time=None
)


def envelope(message: Message, version: CwmpVersion = CwmpVersion.V1_0) -> Envelope:
    return Envelope(message, version, "req-1")  # type: ignore[arg-type]


def at(phase: Phase, pending: str = "") -> Session:
    return Session(id="s", phase=phase, pending_method=pending, pending_id="x" if pending else "")


@pytest.mark.parametrize(
    ("state", "message", "phase", "action", "reply"),
    [
        (at(Phase.AWAIT_INFORM), INFORM, Phase.CPE_REQUESTS, Action.RECORD_INFORM, InformResponse),
        (at(Phase.CPE_REQUESTS), None, Phase.ACS_REQUESTS, Action.NEXT_RPC, None),
        (
            at(Phase.CPE_REQUESTS),
            TRANSFER,
            Phase.CPE_REQUESTS,
            Action.RECORD_REQUEST,
            TransferCompleteResponse,
        ),
        (
            at(Phase.CPE_REQUESTS),
            GetRPCMethods(),
            Phase.CPE_REQUESTS,
            Action.NONE,
            GetRPCMethodsResponse,
        ),
        (at(Phase.ACS_REQUESTS), None, Phase.ACS_REQUESTS, Action.NEXT_RPC, None),
        (
            at(Phase.ACS_REQUESTS, "GetParameterValues"),
            GetParameterValuesResponse(parameters=()),
            Phase.ACS_REQUESTS,
            Action.RECORD_ANSWER,
            None,
        ),
        (
            at(Phase.ACS_REQUESTS, "Reboot"),
            RebootResponse(),
            Phase.ACS_REQUESTS,
            Action.RECORD_ANSWER,
            None,
        ),
        (
            at(Phase.ACS_REQUESTS, "Reboot"),
            Fault(code=9001, string="denied"),
            Phase.ACS_REQUESTS,
            Action.RECORD_ANSWER,
            None,
        ),
    ],
)
def test_legal_transitions(
    state: Session, message: Message | None, phase: Phase, action: Action, reply: type | None
) -> None:
    step = machine.receive(state, envelope(message) if message else None)
    assert step.session.phase is phase
    assert step.action is action
    assert (type(step.reply.message) if step.reply else None) is reply


@pytest.mark.parametrize(
    ("state", "message", "code"),
    [
        (at(Phase.AWAIT_INFORM), None, FaultCode.REQUEST_DENIED),
        (at(Phase.AWAIT_INFORM), GetRPCMethods(), FaultCode.REQUEST_DENIED),
        (at(Phase.CPE_REQUESTS), INFORM, FaultCode.REQUEST_DENIED),
        (at(Phase.ACS_REQUESTS), INFORM, FaultCode.REQUEST_DENIED),
        (at(Phase.ACS_REQUESTS, "Reboot"), None, FaultCode.INVALID_ARGUMENTS),
        (at(Phase.ACS_REQUESTS, "Reboot"), FactoryResetResponse(), FaultCode.INVALID_ARGUMENTS),
        (at(Phase.ACS_REQUESTS), RebootResponse(), FaultCode.REQUEST_DENIED),
        (at(Phase.DONE), None, FaultCode.REQUEST_DENIED),
        (at(Phase.CPE_REQUESTS), GetParameterValues(names=("A.",)), FaultCode.METHOD_NOT_SUPPORTED),
    ],
)
def test_illegal_input_raises_and_leaves_the_state_unchanged(
    state: Session, message: Message | None, code: FaultCode
) -> None:
    before = msgspec.json.encode(state)
    with pytest.raises(CwmpProtocolError) as caught:
        machine.receive(state, envelope(message) if message else None)
    assert caught.value.code is code
    assert msgspec.json.encode(state) == before


def test_second_inform_in_a_session_is_a_protocol_error() -> None:
    step = machine.receive(at(Phase.AWAIT_INFORM), envelope(INFORM))
    with pytest.raises(CwmpProtocolError, match="one Inform"):
        machine.receive(step.session, envelope(INFORM))


@pytest.mark.parametrize("version", list(CwmpVersion))
def test_replies_speak_the_cpes_namespace_and_echo_its_id(version: CwmpVersion) -> None:
    step = machine.receive(at(Phase.AWAIT_INFORM), Envelope(INFORM, version, "abc"))
    assert step.reply is not None
    assert step.reply.version is version
    assert step.reply.id == "abc"
    assert step.session.version is version


def test_sending_an_rpc_waits_for_its_answer_then_the_session_can_end() -> None:
    ready = machine.receive(at(Phase.CPE_REQUESTS), None).session
    sent = machine.send(ready, GetParameterValues(names=("X.",)), "r1")
    assert sent.reply is not None and sent.reply.id == "r1"
    assert sent.session.pending_method == "GetParameterValues"
    with pytest.raises(CwmpProtocolError):
        machine.finish(sent.session)
    answered = machine.receive(sent.session, envelope(GetParameterValuesResponse(parameters=())))
    done = machine.finish(answered.session)
    assert done.session.phase is Phase.DONE
    assert done.reply is None


def test_session_state_survives_serialisation() -> None:
    ready = machine.receive(at(Phase.CPE_REQUESTS), None).session
    sent = machine.send(ready, GetParameterValues(names=("X.",)), "r1").session
    restored = msgspec.json.decode(msgspec.json.encode(sent), type=Session)
    assert restored == sent


def test_get_rpc_methods_lists_what_the_acs_implements() -> None:
    step = machine.receive(at(Phase.CPE_REQUESTS), envelope(GetRPCMethods()))
    assert step.reply is not None
    assert isinstance(step.reply.message, GetRPCMethodsResponse)
    assert set(step.reply.message.methods) == {
        "Inform",
        "GetRPCMethods",
        "TransferComplete",
        "AutonomousTransferComplete",
        "RequestDownload",
    }
