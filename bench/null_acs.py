"""The null ACS: the ACS's HTTP stack (uvicorn + Litestar, N workers, `/cwmp` as a plain ASGI
handler, the same thread hop and codec) answering Inform with InformResponse and the empty
POST with 204, storing nothing.

It is the ceiling the real ACS could reach on this machine if persistence were free:
`python bench/null_acs.py --port P --workers 2`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from litestar import Litestar, asgi
from litestar.types import Receive, Scope, Send

from acs.adapters.collector import settle
from acs.api.cwmp import read_body
from acs.domain import session as machine
from acs.domain.codec import decode, encode
from acs.domain.messages import Inform

COOKIE = "acs_session"
MAX_BODY = 4 * 1024 * 1024
"""The ACS's default `ACS_MAX_BODY_BYTES`."""
POOL_SIZE = int(os.environ.get("ACS_DB_POOL_SIZE", "16"))
"""Threads for blocking calls per worker, as the ACS's `ACS_DB_POOL_SIZE`."""


def handle(body: bytes) -> tuple[int, bytes, str | None]:
    """Status, body and new session id for one CPE request (decoding like the ACS does)."""
    envelope = decode(body) if body.strip() else None
    if envelope is None or not isinstance(envelope.message, Inform):
        return 204, b"", None
    step = machine.receive(machine.Session(id=uuid.uuid4().hex), envelope)
    assert step.reply is not None
    return 200, encode(step.reply), step.session.id


def create_app() -> Litestar:
    """The null ACS as an ASGI application (a uvicorn factory)."""
    executor = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="null-acs")

    @asgi("/cwmp", copy_scope=False)
    async def cwmp(scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(scope, receive, MAX_BODY)
        loop = asyncio.get_running_loop()
        status, reply, session = await loop.run_in_executor(executor, handle, body)
        headers = [(b"content-length", str(len(reply)).encode())] if status != 204 else []
        if session:
            headers.append((b"set-cookie", f"{COOKIE}={session}; HttpOnly; Path=/".encode()))
        if reply:
            headers.append((b"content-type", b"text/xml; charset=utf-8"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": reply})

    return Litestar(route_handlers=[cwmp], on_startup=[settle], on_shutdown=[executor.shutdown])


def main(argv: list[str] | None = None) -> None:
    """Serve the null ACS until interrupted."""
    import uvicorn  # noqa: PLC0415 - only serving needs it

    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--host", default="127.0.0.1")
    cli.add_argument("--port", type=int, default=8090)
    cli.add_argument("--workers", type=int, default=2)
    args = cli.parse_args(argv)
    uvicorn.run(
        "bench.null_acs:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
