"""How a simulated CPE authenticates to the ACS (TR-069 3.4.4), as real CPEs do.

The CPE sends its Inform; on `401` it reads the challenge and sends the same request again
with `Authorization`: Digest (RFC 7616, MD5, `qop=auth`) when offered, else Basic. It keeps
the last Digest challenge and counts `nc` up on every later request (of the session and of
the next sessions), answering a new challenge (`stale=true`, or a refused request) once.
The Digest arithmetic is the simulator's own (`digest_auth.py`), not the ACS's.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Generator
from urllib.parse import urlsplit

import httpx

from tests.support.digest_auth import digest_response, parse_authorization


class CpeAuth(httpx.Auth):
    """The credentials of a CPE's ManagementServer.Username and .Password."""

    def __init__(self, username: str, password: str, *, preemptive: bool = True) -> None:
        self.username = username
        self.password = password
        self.preemptive = preemptive
        self.digest: dict[str, str] | None = None
        self.basic = False
        self.nc = 0
        self.sent: list[str] = []
        """Every Authorization header sent, in order."""
        self.challenges: list[str] = []
        """Every WWW-Authenticate header received, in order."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the last challenge's credentials (if any), and answer a new one once."""
        if self.preemptive and (self.digest is not None or self.basic):
            self._sign(request)
        response = yield request
        if response.status_code != 401 or not self._challenged(response):
            return
        self._sign(request)
        yield request

    def _challenged(self, response: httpx.Response) -> bool:
        """Take the challenge of a 401: Digest preferred, Basic else; False if none."""
        offered = response.headers.get_list("www-authenticate")
        self.challenges += offered
        for value in offered:
            scheme, params = parse_authorization(value)
            if scheme == "digest":
                self.digest, self.basic, self.nc = params, False, 0
                return True
        if any(v.lower().startswith("basic") for v in offered):
            self.digest, self.basic = None, True
            return True
        return False

    def _sign(self, request: httpx.Request) -> None:
        header = self._basic() if self.digest is None else self._digest(request)
        request.headers["Authorization"] = header
        self.sent.append(header)

    def _basic(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"

    def _digest(self, request: httpx.Request) -> str:
        assert self.digest is not None
        self.nc += 1
        nc, cnonce = f"{self.nc:08x}", secrets.token_hex(8)
        realm, nonce = self.digest.get("realm", ""), self.digest.get("nonce", "")
        uri = urlsplit(str(request.url)).path or "/"
        response = digest_response(
            username=self.username,
            password=self.password,
            realm=realm,
            method=request.method,
            uri=uri,
            nonce=nonce,
            nc=nc,
            cnonce=cnonce,
            qop="auth",
        )
        header = (
            f'Digest username="{self.username}", realm="{realm}", nonce="{nonce}", '
            f'uri="{uri}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}", '
            f'response="{response}"'
        )
        if "opaque" in self.digest:
            header += f', opaque="{self.digest["opaque"]}"'
        return header
