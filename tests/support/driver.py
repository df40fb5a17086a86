"""Drives the CWMP service in-process with a simulated CPE: whole sessions without HTTP."""

from __future__ import annotations

from collections.abc import Sequence

from acs.application.cwmp import CwmpService, Exchange
from tests.support.cpe import SimulatedCpe


def run_session(
    service: CwmpService, cpe: SimulatedCpe, events: Sequence[str] | None = None
) -> list[int]:
    """One session, as `SimulatedCpe.run_session` would run it over HTTP; returns the statuses."""
    codes = list(events) if events is not None else cpe.next_events()
    cpe.begin_session()
    reply = service.handle(Exchange(cpe.build_inform(codes), None, "127.0.0.1"))
    assert reply.status == 200, reply.body
    cpe.accept_inform_response(reply.body, codes)
    statuses, body = [reply.status], b""
    for _ in range(100):
        reply = service.handle(Exchange(body, reply.session_id, "127.0.0.1"))
        statuses.append(reply.status)
        if reply.status == 204:
            cpe.end_session()
            return statuses
        assert reply.status == 200, reply.body
        body = cpe.answer(reply.body)
    raise AssertionError("session did not end")
