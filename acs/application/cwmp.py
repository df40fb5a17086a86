"""One HTTP exchange of a CWMP session: decode, step the session, record, reply."""

from __future__ import annotations

import contextvars
import logging
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import NamedTuple

import msgspec

from acs.adapters.event_store import EventStore
from acs.adapters.logs import bind_session
from acs.adapters.secrets import SecretBox
from acs.adapters.session_store import SessionStore
from acs.application.cwmp_auth import CwmpAuth, Refusal, RequestAuth
from acs.application.devices import Load, decide_and_append, now
from acs.application.downloads import DownloadLinks
from acs.application.provisioning import MAX_ROUNDS, Provisioner
from acs.application.uploads import UploadLinks
from acs.domain import session as machine
from acs.domain.codec import CodecError, UnknownMethodError, decode, encode
from acs.domain.cwmp_credentials import Identity
from acs.domain.decide import (
    UnexpectedAnswerError,
    expire_tasks,
    receive_answer,
    receive_inform,
    report_autonomous_transfer,
    report_transfer,
    request_download,
    send_rpc,
)
from acs.domain.device import Device, DeviceNotFoundError, OpenTask, next_task, project
from acs.domain.device_id import aggregate_id, device_id
from acs.domain.events import DeviceEvent
from acs.domain.messages import (
    AcsRequest,
    AutonomousTransferComplete,
    CwmpVersion,
    Download,
    Envelope,
    FaultCode,
    Inform,
    Message,
    RequestDownload,
    TransferComplete,
)
from acs.domain.session import Action, CwmpProtocolError, Session, Step

log = logging.getLogger(__name__)

Decide = Callable[[Device], list[DeviceEvent]]


class Exchange(msgspec.Struct, frozen=True):
    """What one CPE request carries to the ACS."""

    body: bytes
    session_id: str | None
    source_ip: str
    charset: str | None = None
    base_url: str = ""
    auth: RequestAuth = RequestAuth()
    draining: bool = False
    """The worker is stopping: an Inform is refused (503), open sessions go on."""


END_ATTEMPTS = 3
"""Decisions a session's end may take when operators keep changing the device meanwhile."""

DRAINING_RETRY_AFTER = 10
"""Seconds a CPE refused by a stopping worker is asked to wait (another takes over)."""


class Reply(msgspec.Struct, frozen=True):
    """What the ACS answers: status, SOAP body (empty for 204), session cookie to set;
    for a refused authentication its headers (the challenge), how long to wait before
    answering and why it failed."""

    status: int
    body: bytes = b""
    session_id: str | None = None
    end_session: bool = False
    retry_after: int | None = None
    headers: dict[str, str] = {}
    delay: float = 0.0
    auth_failure: str = ""


class Due(NamedTuple):
    """What is due in a session with the device in some state: tasks expired or queued by
    presets (`queued`, making `device`), and the next task to send, if any."""

    queued: list[DeviceEvent]
    task: OpenTask | None
    device: Device
    rounds: int
    """Provisioning rounds the session has had, this one included."""

    @property
    def idle(self) -> bool:
        """Nothing to record and nothing to send: the session can end."""
        return not self.queued and self.task is None


class Plan(NamedTuple):
    """What a session does next: events to append, the RPC to send (None: nothing left)."""

    events: list[DeviceEvent]
    request: AcsRequest | None
    rounds: int


class CwmpService:
    """Runs CWMP sessions against the event store; one call per HTTP request."""

    def __init__(
        self,
        store: EventStore,
        sessions: SessionStore,
        box: SecretBox,
        links: UploadLinks,
        provisioner: Provisioner | None = None,
        *,
        downloads: DownloadLinks | None = None,
        auth: CwmpAuth | None = None,
    ) -> None:
        self.store, self.sessions, self.box, self.links = store, sessions, box, links
        self.provisioner, self.downloads, self.auth = provisioner, downloads, auth

    def handle(self, exchange: Exchange) -> Reply:
        """Answer one CPE request; protocol errors become SOAP Faults, never lost state.
        What it logs carries the session's device and id (in a context of its own, since
        the threads that run it are reused)."""
        return contextvars.copy_context().run(self._handle, exchange)

    def _handle(self, exchange: Exchange) -> Reply:
        try:
            envelope = decode(exchange.body, exchange.charset) if exchange.body.strip() else None
        except UnknownMethodError as exc:
            return _fault(CwmpProtocolError(FaultCode.METHOD_NOT_SUPPORTED, str(exc)), None)
        except CodecError as exc:
            return _fault(CwmpProtocolError(FaultCode.INVALID_ARGUMENTS, str(exc)), None)
        try:
            if envelope is not None and isinstance(envelope.message, Inform):
                return self._open(envelope, envelope.message, exchange)
            return self._continue(envelope, exchange)
        except CwmpProtocolError as exc:
            return _fault(exc, envelope)

    def _open(self, envelope: Envelope, inform: Inform, exchange: Exchange) -> Reply:
        """An Inform opens a session for its device, unless one is open already (3.7.1.5)."""
        if exchange.draining:
            return Reply(status=503, retry_after=DRAINING_RETRY_AFTER)
        if exchange.session_id and self.sessions.get(exchange.session_id):
            raise CwmpProtocolError(FaultCode.REQUEST_DENIED, "a session has one Inform")
        ident = inform.device_id
        public_id = device_id(ident.oui, ident.product_class, ident.serial_number)
        if not (ident.oui and ident.serial_number):
            raise CwmpProtocolError(FaultCode.INVALID_ARGUMENTS, "DeviceId lacks OUI or serial")
        bind_session(public_id)
        loaded, refusal = self._authenticate(inform, public_id, exchange)
        if refusal is not None:
            return refusal
        step = machine.receive(Session(id=uuid.uuid4().hex, device_id=public_id), envelope)
        bind_session(public_id, step.session.id)
        at = now()
        try:
            loaded, claimed = self._claim(public_id, step.session, loaded)
            if not claimed:
                return Reply(status=503, retry_after=30)
            decide_and_append(
                self.store,
                public_id,
                lambda device: receive_inform(
                    device,
                    inform,
                    aggregate=aggregate_id(public_id),
                    public_id=public_id,
                    source_ip=exchange.source_ip,
                    session_id=step.session.id,
                    cwmp_version=envelope.version.name,
                    at=at,
                ),
                state=loaded,
            )
        except BaseException:
            self.sessions.abandon(step.session.id)
            raise
        log.info("session %s of %s started: %s", step.session.id, public_id,
                 ", ".join(step.session.event_codes))  # fmt: skip
        return _reply(step)

    def _claim(
        self, public_id: str, session: Session, loaded: Device | Load | None
    ) -> tuple[Device | Load | None, bool]:
        """Claim the device for the session, loading it in the same query unless it was
        loaded already; whether the claim holds."""
        if not isinstance(loaded, Load):
            return loaded, self.sessions.claim(public_id, session)
        rider = self.sessions.claim_rider(public_id, session)
        device, value = self.store.load_riding(aggregate_id(public_id), rider)
        return device, self.sessions.claimed(rider, value)

    def _authenticate(
        self, inform: Inform, public_id: str, exchange: Exchange
    ) -> tuple[Device | Load | None, Reply | None]:
        """With CPE authentication on (TR-069 3.4.4), the device, loaded to know its
        credentials, and the answer to a request that does not prove them."""
        if self.auth is None or not self.auth.enabled:
            return Load.FROM_STORE, None
        device = self.store.load(aggregate_id(public_id))
        ident = inform.device_id
        identity = Identity(ident.oui, ident.product_class, ident.serial_number)
        refusal = self.auth.check(identity, device, exchange.auth, exchange.source_ip)
        return device, None if refusal is None else _refused(refusal)

    def _continue(self, envelope: Envelope | None, exchange: Exchange) -> Reply:
        """Any later request of the session, found by its cookie."""
        if envelope is None and exchange.session_id:
            ended = self._end_idle(exchange.session_id, exchange.base_url)
            if ended is not None:
                return ended
        session, loaded = self._session(exchange.session_id)
        if session is None:
            if self.auth is not None and self.auth.enabled and not exchange.auth.authorization:
                return _refused(self.auth.challenge())
            raise CwmpProtocolError(FaultCode.REQUEST_DENIED, "no open session: send Inform first")
        bind_session(session.device_id, session.id)
        step = machine.receive(session, envelope)
        if envelope is not None:
            loaded = self._record_message(step, session, envelope.message, loaded)
        if step.action in (Action.RECORD_ANSWER, Action.NEXT_RPC):
            step = self._next_rpc_or_end(step.session, exchange.base_url, loaded)
        if step.session.phase is machine.Phase.DONE:
            return _ended(step.session)
        self.sessions.save(step.session)
        return _reply(step)

    def _end_idle(self, session_id: str, base_url: str) -> Reply | None:
        """The empty POST of a session with nothing left to do, as far as this worker knows
        the session (it wrote its state last) and the device (its cached state): the session
        row is deleted in the same query as the device's load. When the row or the device
        turn out to have changed (another worker served the session, or queued a task), the
        row is put back and the request goes the usual way (None)."""
        noted = self.sessions.noted(session_id)
        if noted is None:
            return None
        session = self.sessions.decoded(noted.state)
        cached = self.store.cache.get(aggregate_id(noted.device_id))
        if session is None or cached is None or session.phase is not machine.Phase.CPE_REQUESTS:
            return None
        ready = machine.receive(session, None).session
        if not self._due(ready, cached, now()).idle:
            return None
        rider = self.sessions.end_rider(session_id)
        loaded, value = self.store.load_riding(aggregate_id(noted.device_id), rider)
        if value is None:
            self.sessions.forget(session_id)
            return None
        changed = loaded is None or (
            loaded.version != cached.version and not self._due(ready, loaded, now()).idle
        )
        if value != noted.state or changed:
            self.sessions.restore(noted.device_id, session_id, value)
            return None
        self.sessions.forget(session_id)
        bind_session(session.device_id, session_id)
        return _ended(session)

    def _session(self, session_id: str | None) -> tuple[Session | None, Device | Load | None]:
        """The open session with this id, and its device when this worker knows which one it
        is: then both come in one query."""
        if not session_id:
            return None, Load.FROM_STORE
        device = self.sessions.device_of(session_id)
        if device is None:
            return self.sessions.get(session_id), Load.FROM_STORE
        rider = self.sessions.get_rider(session_id)
        loaded, value = self.store.load_riding(aggregate_id(device), rider)
        session = self.sessions.decoded(value)
        if session is None or session.device_id != device:
            return session, Load.FROM_STORE
        return session, loaded

    def _record_message(
        self, step: Step, session: Session, message: Message, loaded: Device | Load | None
    ) -> Device | Load | None:
        """Record what the CPE said, when the session step calls for it; the device after."""
        at = now()
        decision: Decide | None = None
        if step.action is Action.RECORD_ANSWER:
            decision = partial(receive_answer, session_id=session.id, answer=message, at=at)
        elif isinstance(message, TransferComplete):
            decision = partial(report_transfer, report=message, at=at)
        elif isinstance(message, AutonomousTransferComplete):
            decision = partial(report_autonomous_transfer, report=message, at=at)
        elif isinstance(message, RequestDownload):
            decision = partial(request_download, request=message, at=at)
        if decision is None:
            return loaded
        return self._record(session, decision, loaded)

    def _record(
        self, session: Session, decision: Decide, loaded: Device | Load | None
    ) -> Device | None:
        def guarded(device: Device | None) -> list[DeviceEvent]:
            if device is None:
                raise DeviceNotFoundError(session.device_id)
            return decision(device)

        try:
            return decide_and_append(self.store, session.device_id, guarded, state=loaded)[0]
        except UnexpectedAnswerError as exc:
            raise CwmpProtocolError(FaultCode.INVALID_ARGUMENTS, str(exc)) from exc

    def _next_rpc_or_end(
        self, session: Session, base_url: str, loaded: Device | Load | None
    ) -> Step:
        """Send the device's next due task, or end the session (its row deleted) unless the
        device changed since it was decided on: then decide again on the new state."""
        for _ in range(END_ATTEMPTS):
            step, device = self._next_rpc(session, base_url, loaded)
            if step.session.phase is not machine.Phase.DONE:
                return step
            if device is None:
                self.sessions.end(session.id)
                return step
            if self.sessions.end_unless_newer(session.id, device.id, device.version):
                return step
            loaded = Load.FROM_STORE
        self.sessions.end(session.id)  # the device keeps changing: its tasks wait for a CR
        return step

    def _next_rpc(
        self, session: Session, base_url: str, loaded: Device | Load | None
    ) -> tuple[Step, Device | None]:
        """The step that sends the device's next due task or finishes the session
        (`loaded`: the device as this request loaded it, if it did), and the device the
        decision saw, after what it recorded."""
        plans: list[Plan] = []

        def decision(current: Device | None) -> list[DeviceEvent]:
            plans[:] = [self._plan(session, current, base_url)]
            return plans[0].events

        device = decide_and_append(self.store, session.device_id, decision, state=loaded)[0]
        session = msgspec.structs.replace(session, provision_rounds=plans[0].rounds)
        if plans[0].request is None:
            return machine.finish(session), device
        request = self._unsealed(plans[0].request)
        return machine.send(session, request, secrets.token_hex(6)), device

    def _plan(self, session: Session, current: Device | None, base_url: str) -> Plan:
        """What the session does next with the device in this state: tasks expired or
        queued by presets, and the RPC of the next due task, if any."""
        if current is None:
            return Plan([], None, session.provision_rounds)
        at = now()
        due = self._due(session, current, at)
        if due.task is None:
            return Plan(due.queued, None, due.rounds)
        task = due.task
        upload_url = self.links.url(base_url, aggregate_id(session.device_id), task.task_id)
        request, sent = send_rpc(due.device, task_id=task.task_id, session_id=session.id,
                                 upload_url=upload_url, at=at,
                                 download_url=self._download_url(task, base_url))  # fmt: skip
        return Plan(due.queued + sent, request, due.rounds)

    def _due(self, session: Session, current: Device, at: datetime) -> Due:
        """What is due in the session at `at`, before any RPC is chosen to send."""
        rounds = session.provision_rounds
        queued = expire_tasks(current, at=at)  # never sent in time: never sent at all
        current = project(current, queued) or current
        task = next_task(current, session.id, at)
        if task is None and rounds < MAX_ROUNDS and self.provisioner is not None:
            rounds += 1
            planned = self.provisioner.queue(current, session.event_codes, at)
            current, queued = project(current, planned) or current, queued + planned
            task = next_task(current, session.id, at)
        return Due(queued, task, current, rounds)

    def _download_url(self, task: OpenTask, base_url: str) -> str:
        """The signed URL of a stored file a download task names (`file_id`), else ""."""
        file_id = getattr(task.task, "file_id", "")
        if not file_id or self.downloads is None:
            return ""
        return self.downloads.url(base_url, file_id, task.task_id)

    def _unsealed(self, request: AcsRequest) -> AcsRequest:
        """The RPC as the CPE must receive it: sealed secrets opened at the last moment."""
        if isinstance(request, Download) and request.password:
            return msgspec.structs.replace(request, password=self.box.open(request.password))
        return request


def _refused(refusal: Refusal) -> Reply:
    """The empty answer to a request whose authentication failed or is missing."""
    return Reply(
        status=refusal.status,
        headers=refusal.headers,
        delay=refusal.delay,
        auth_failure=refusal.reason,
    )


def _ended(session: Session) -> Reply:
    """The empty 204 answer that ends a session, its row already deleted."""
    log.info("session %s of %s ended after %d RPC(s)", session.id, session.device_id,
             session.sent)  # fmt: skip
    return Reply(status=204, session_id=session.id, end_session=True)


def _reply(step: Step) -> Reply:
    assert step.reply is not None
    return Reply(status=200, body=encode(step.reply), session_id=step.session.id)


def _fault(error: CwmpProtocolError, request: Envelope | None) -> Reply:
    """A SOAP Fault in the CPE's namespace, echoing its `cwmp:ID` when it sent one."""
    log.info("CWMP fault %s: %s", int(error.code), error.message)
    version = request.version if request else CwmpVersion.V1_0
    envelope = machine.fault_reply(
        Session(id="", version=version), error, request.id if request else None
    )
    return Reply(status=400, body=encode(envelope))
