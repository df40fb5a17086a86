"""The HTTP POST of one webhook request: any 2xx is success, everything else a failure."""

from __future__ import annotations

import httpx
import msgspec


class PostResult(msgspec.Struct, frozen=True):
    """What became of a request: success, the HTTP status if any, and why it failed."""

    ok: bool
    status: int | None = None
    error: str = ""


def post_webhook(url: str, body: bytes, headers: dict[str, str], timeout: float) -> PostResult:
    """POST the body; never follows redirects and never reads the answer's body."""
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream("POST", url, content=body, headers=headers) as reply,
        ):
            status = reply.status_code
    except httpx.TimeoutException:
        return PostResult(ok=False, error=f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return PostResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    if 200 <= status < 300:
        return PostResult(ok=True, status=status)
    return PostResult(ok=False, status=status, error=f"HTTP {status}")
