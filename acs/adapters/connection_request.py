"""Connection requests (TR-069 3.2.2): an authenticated HTTP GET to the CPE's URL."""

from __future__ import annotations

import enum
import logging

import httpx

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """What became of a connection request, as the API reports it."""

    OK = "ok"
    AUTH_FAILED = "auth_failed"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


async def send_connection_request(
    url: str, username: str, password: str, timeout: float
) -> tuple[Outcome, str]:
    """GET the URL with HTTP Digest (or Basic, when the CPE asks for it); never follows
    redirects. Returns the outcome and a short detail."""
    if not url.lower().startswith(("http://", "https://")):
        return Outcome.UNREACHABLE, "the connection request URL is not http(s)"
    limits = httpx.Timeout(timeout)
    try:
        async with httpx.AsyncClient(
            timeout=limits, follow_redirects=False, trust_env=False
        ) as client:
            reply = await client.get(url, auth=httpx.DigestAuth(username, password))
            if reply.status_code == 401 and _asks_basic(reply):
                reply = await client.get(url, auth=httpx.BasicAuth(username, password))
    except httpx.TimeoutException:
        return Outcome.TIMEOUT, f"no answer within {timeout:g} s"
    except httpx.HTTPError as exc:
        return Outcome.UNREACHABLE, type(exc).__name__
    return _classify(reply)


def _asks_basic(reply: httpx.Response) -> bool:
    challenges = reply.headers.get_list("www-authenticate")
    return any(c.lower().startswith("basic") for c in challenges) and not any(
        c.lower().startswith("digest") for c in challenges
    )


def _classify(reply: httpx.Response) -> tuple[Outcome, str]:
    if reply.status_code in (401, 403):
        return Outcome.AUTH_FAILED, f"HTTP {reply.status_code}"
    if reply.is_success:
        return Outcome.OK, f"HTTP {reply.status_code}"
    return Outcome.UNREACHABLE, f"HTTP {reply.status_code}"
