"""An RPC leaves the ACS only after its `RpcSent` is committed: a worker that dies between the
two never causes a second Reboot."""

from __future__ import annotations

import pytest

from acs.adapters.session_store import SessionStore
from acs.api.services import Services
from acs.application.cwmp import Exchange
from acs.domain.device_id import aggregate_id
from acs.domain.events import RpcSent, TaskFaulted
from acs.domain.session import Session
from acs.domain.tasks import RebootTask
from tests.support.cpe import SimulatedCpe


class WorkerDiedError(RuntimeError):
    """The worker stopped after deciding the RPC, before its HTTP response left."""


class DyingSessions(SessionStore):
    """The real session store, except that the worker dies when it would save a session."""

    def save(self, session: Session) -> None:
        raise WorkerDiedError(session.id)


def test_a_worker_dying_before_the_reboot_leaves_has_stored_it_and_never_resends_it(
    services: Services,
) -> None:
    cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial="DURABLE")
    opened = services.cwmp.handle(Exchange(cpe.build_inform(["0 BOOTSTRAP"]), None, "127.0.0.1"))
    assert opened.status == 200 and opened.session_id
    task_id, _ = services.commands.queue_task(cpe.device_id, RebootTask(), "op")
    healthy = services.cwmp.sessions
    services.cwmp.sessions = DyingSessions(healthy.pool, healthy.timeout)
    with pytest.raises(WorkerDiedError):
        services.cwmp.handle(Exchange(b"", opened.session_id, "127.0.0.1"))
    events = services.store.load_events(aggregate_id(cpe.device_id))
    assert [e.method for e in events if isinstance(e, RpcSent)] == ["Reboot"], (
        "committed before any response could carry the RPC"
    )

    services.cwmp.sessions = healthy
    healthy.end(opened.session_id)  # as the lock of a crashed worker expires
    reopened = services.cwmp.handle(Exchange(cpe.build_inform(["2 PERIODIC"]), None, "127.0.0.1"))
    assert reopened.status == 200
    ended = services.cwmp.handle(Exchange(b"", reopened.session_id, "127.0.0.1"))
    assert ended.status == 204, "the Reboot is not sent again"
    events = services.store.load_events(aggregate_id(cpe.device_id))
    assert sum(isinstance(e, RpcSent) for e in events) == 1
    faulted = [e for e in events if isinstance(e, TaskFaulted)]
    assert [(e.task_id, e.fault["code"]) for e in faulted] == [(task_id, "outcome_unknown")]
