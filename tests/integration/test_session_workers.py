"""A CWMP session served by two workers in turn, each with its own memory of sessions and its
own state cache: every request finds the session and the device as the other left them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acs.adapters.settings import Settings
from acs.api.services import Services
from acs.application.cwmp import Exchange, Reply
from acs.domain.codec import decode
from acs.domain.device import project
from acs.domain.device_id import aggregate_id
from acs.domain.tasks import GetParams, SetParams
from tests.integration.conftest import worker_services
from tests.support.cpe import SimulatedCpe

SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"


@pytest.fixture
def workers(database_url: str) -> Iterator[tuple[Services, Services]]:
    with (
        worker_services(Settings(db_pool_size=2), database_url) as first,
        worker_services(Settings(db_pool_size=2), database_url) as second,
    ):
        yield first, second


def step(worker: Services, body: bytes, session: str | None) -> Reply:
    return worker.cwmp.handle(Exchange(body, session, "127.0.0.1"))


def cpe_named(serial: str) -> SimulatedCpe:
    return SimulatedCpe("http://127.0.0.1:1/cwmp", serial=serial)


def open_session(worker: Services, cpe: SimulatedCpe) -> str:
    """The id of a periodic session the CPE opened on `worker`."""
    reply = step(worker, cpe.build_inform(["2 PERIODIC"]), None)
    assert reply.status == 200 and reply.session_id, reply
    return reply.session_id


def session(cpe: SimulatedCpe, serving: list[Services]) -> list[str]:
    """One session, request n served by `serving[n % len(serving)]`; the RPCs it carried."""
    reply = step(serving[0], cpe.build_inform(["2 PERIODIC"]), None)
    assert reply.status == 200 and reply.session_id, reply
    cookie, rpcs, body = reply.session_id, [], b""
    for n in range(1, 20):
        reply = step(serving[n % len(serving)], body, cookie)
        if reply.status == 204:
            return rpcs
        assert reply.status == 200, reply
        rpcs.append(type(decode(reply.body).message).__name__)
        body = cpe.answer(reply.body)
    raise AssertionError("the session did not end")


@pytest.mark.parametrize("order", ["alternating", "other_worker_continues"])
def test_a_session_goes_on_whichever_worker_serves_each_request(
    workers: tuple[Services, Services], order: str
) -> None:
    first, second = workers
    serving = [first, second] if order == "alternating" else [first, second, second]
    cpe = cpe_named("WORKERS1")
    assert session(cpe, serving) == []
    for worker in (first, second, first):
        worker.commands.queue_task(cpe.device_id, GetParams(names=(SSID,)), "op")
        worker.commands.queue_task(cpe.device_id, SetParams(values={SSID: "ridden"}), "op")
        assert session(cpe, serving) == ["GetParameterValues", "SetParameterValues"]
        assert session(cpe, serving[::-1]) == []
    aggregate = aggregate_id(cpe.device_id)
    replayed = project(None, first.store.load_events(aggregate))
    assert replayed is not None and replayed.parameters[SSID].value == "ridden"
    assert first.store.load(aggregate) == second.store.load(aggregate) == replayed
    assert replayed.tasks == (), "finished tasks leave the device"


def test_a_session_ended_on_one_worker_is_over_on_the_one_that_remembers_it(
    workers: tuple[Services, Services],
) -> None:
    first, second = workers
    cpe = cpe_named("WORKERS2")
    session_id = open_session(first, cpe)
    assert first.cwmp.sessions.device_of(session_id) == cpe.device_id
    assert step(second, b"", session_id).status == 204
    late = step(first, b"", session_id)
    assert late.status == 400 and b"no open session" in late.body
    assert step(first, cpe.build_inform(["2 PERIODIC"]), None).status == 200


def test_a_task_queued_elsewhere_while_the_session_was_open_is_still_sent(
    workers: tuple[Services, Services],
) -> None:
    """The serving worker's cached device shows nothing to do, so its empty POST would end
    the session; the device it loads shows the task another worker queued meanwhile."""
    first, second = workers
    cpe = cpe_named("WORKERS3")
    assert session(cpe, [first]) == []
    session_id = open_session(first, cpe)
    second.commands.queue_task(cpe.device_id, GetParams(names=(SSID,)), "op")
    sent = step(first, b"", session_id)
    assert sent.status == 200 and type(decode(sent.body).message).__name__ == "GetParameterValues"
    assert step(first, cpe.answer(sent.body), session_id).status == 204
    device = first.store.load(aggregate_id(cpe.device_id))
    assert device is not None and device.tasks == ()


def test_an_idle_session_ended_by_its_worker_frees_the_device_at_once(
    workers: tuple[Services, Services],
) -> None:
    first, second = workers
    cpe = cpe_named("WORKERS4")
    for _ in range(3):
        session_id = open_session(first, cpe)
        assert step(first, b"", session_id).status == 204
        assert first.cwmp.sessions.device_of(session_id) is None
        assert not second.cwmp.sessions.is_open(cpe.device_id)
        late = step(second, b"", session_id)
        assert late.status == 400 and b"no open session" in late.body


def test_a_session_is_not_ended_over_events_its_last_decision_did_not_see(
    workers: tuple[Services, Services],
) -> None:
    first, second = workers
    cpe = cpe_named("WORKERS5")
    session_id = open_session(first, cpe)
    aggregate = aggregate_id(cpe.device_id)
    seen = first.store.load(aggregate)
    assert seen is not None
    second.commands.queue_task(cpe.device_id, GetParams(names=(SSID,)), "op")
    sessions = first.cwmp.sessions
    assert not sessions.end_unless_newer(session_id, aggregate, seen.version)
    assert sessions.is_open(cpe.device_id), "the queued task runs in this session"
    latest = first.store.load(aggregate)
    assert latest is not None
    assert sessions.end_unless_newer(session_id, aggregate, latest.version)
    assert not sessions.is_open(cpe.device_id)


def test_an_empty_post_on_a_worker_whose_note_of_the_session_is_stale_ends_nothing(
    workers: tuple[Services, Services],
) -> None:
    """The first worker noted the session as the Inform left it, and its cached device shows
    nothing to do; meanwhile the second sent a task's RPC in that session. A repeated empty
    POST on the first must leave the session open for the RPC's answer."""
    first, second = workers
    cpe = cpe_named("WORKERS6")
    session_id = open_session(first, cpe)
    second.commands.queue_task(cpe.device_id, GetParams(names=(SSID,)), "op")
    sent = step(second, b"", session_id)
    assert sent.status == 200 and type(decode(sent.body).message).__name__ == "GetParameterValues"
    repeated = step(first, b"", session_id)
    assert repeated.status != 204 and first.cwmp.sessions.is_open(cpe.device_id), repeated
    assert step(second, cpe.answer(sent.body), session_id).status == 204
    device = first.store.load(aggregate_id(cpe.device_id))
    assert device is not None and device.tasks == ()
