"""How `acs serve` runs uvicorn so that a stop never cuts a CWMP session.

uvicorn stops on the first SIGTERM or SIGINT by closing its listening socket and finishing
the requests in flight; a CWMP session's next request would then find no server. Here the
first signal only starts the worker's drain (`adapters/drain.py`): the worker keeps
listening, refuses new sessions and serves the open ones; the server stops once they are
over or the grace period has passed, and then finishes the requests in flight as uvicorn
does. With several workers, `Supervisor` takes uvicorn's `Multiprocess` place, whose
workers are plain uvicorn servers: it passes the signal on and waits for them to drain."""

from __future__ import annotations

import logging
import math
import multiprocessing
import multiprocessing.process
import os
import signal
import socket
import time
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from acs.adapters import drain

log = logging.getLogger(__name__)

_MARGIN = 15.0
"""Seconds a worker may take past the grace period (requests in flight, stopping threads)
before the supervisor kills it."""


class DrainingServer(uvicorn.Server):
    """uvicorn's server, stopped by a drain: the first SIGTERM or SIGINT starts it, the
    server stops once drained; a second SIGINT skips the wait for the sessions, a third
    the wait for the requests in flight."""

    def __init__(self, config: uvicorn.Config, grace: float) -> None:
        super().__init__(config)
        self.grace = grace
        self._announced = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # The signal is not re-raised once the server is done (uvicorn's own handler
        # records it for that), so that `acs serve` returns and exits 0.
        if not drain.WORKER.draining:
            drain.WORKER.begin(self.grace)
        elif sig == signal.SIGINT:
            self.force_exit = self.should_exit
            self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        worker = drain.WORKER
        if worker.draining and not self._announced:
            self._announced = True
            log.info("stopping: no new CWMP session; %d open, %.0f s for them to end",
                     worker.open_sessions(), worker.remaining())  # fmt: skip
        if worker.drained():
            self.should_exit = True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if drain.WORKER.draining:
            self.config.timeout_graceful_shutdown = max(1, math.ceil(drain.WORKER.remaining()))
        await super().shutdown(sockets)


class Supervisor:
    """Runs `config.workers` draining servers in spawned processes on one listening socket
    and replaces one that dies; on SIGTERM or SIGINT it tells them all to stop (SIGTERM),
    passes a later SIGINT on, and waits for them (killing one past grace and margin)."""

    def __init__(self, config: uvicorn.Config, grace: float) -> None:
        self.config, self.grace = config, grace
        self._signals: list[int] = []

    def run(self) -> None:
        """Serve until a signal, then until every worker has stopped."""
        listening = self.config.bind_socket()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda sig, _: self._signals.append(sig))
        workers = [self._spawn(listening) for _ in range(self.config.workers)]
        while not self._signals:
            time.sleep(0.2)
            workers = [w if w.is_alive() else self._replace(w, listening) for w in workers]
        listening.close()
        self._stop(workers)

    def _spawn(self, listening: socket.socket) -> multiprocessing.process.BaseProcess:
        server = DrainingServer(self.config, self.grace)
        worker = _SPAWN.Process(target=_work, args=(server, listening), name="acs-worker")
        worker.start()
        return worker

    def _replace(
        self, dead: multiprocessing.process.BaseProcess, listening: socket.socket
    ) -> multiprocessing.process.BaseProcess:
        if dead.exitcode == STARTUP_FAILURE:
            log.error("worker %s failed to start; stopping", dead.pid)
            self._signals.append(signal.SIGTERM)
            return dead
        log.warning("worker %s died (exit status %s); starting another", dead.pid, dead.exitcode)
        return self._spawn(listening)

    def _stop(self, workers: list[multiprocessing.process.BaseProcess]) -> None:
        self._send(workers, signal.SIGTERM)
        passed = len(self._signals)
        deadline = time.monotonic() + self.grace + _MARGIN
        while any(w.is_alive() for w in workers) and time.monotonic() < deadline:
            if signal.SIGINT in self._signals[passed:]:
                passed = len(self._signals)
                self._send(workers, signal.SIGINT)
            time.sleep(0.1)
        for worker in workers:
            if worker.is_alive():
                log.error("worker %s did not stop in time; killed", worker.pid)
                worker.kill()
            worker.join()
        codes = {worker.exitcode for worker in workers}
        if STARTUP_FAILURE in codes:
            raise SystemExit(STARTUP_FAILURE)
        if codes != {0}:
            raise SystemExit(1)

    @staticmethod
    def _send(workers: list[multiprocessing.process.BaseProcess], sig: int) -> None:
        for worker in workers:
            if worker.is_alive() and worker.pid is not None:
                os.kill(worker.pid, sig)


_SPAWN = multiprocessing.get_context("spawn")
multiprocessing.allow_connection_pickling()  # the listening socket goes to each worker


def _work(server: DrainingServer, listening: socket.socket) -> None:
    """A worker process: logging as configured (it starts afresh), then the server."""
    server.config.configure_logging()
    server.run(sockets=[listening])


def run(config: uvicorn.Config, grace: float) -> None:
    """Serve until told to stop, draining first: in this process with one worker, else
    in spawned workers."""
    if config.workers > 1:
        Supervisor(config, grace).run()
        return
    server = DrainingServer(config, grace)
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)
