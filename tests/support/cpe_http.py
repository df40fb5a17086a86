"""The HTTP side of a CWMP session (TR-069 3.4): POSTs to the ACS with the session's cookies."""

from __future__ import annotations

import gzip
import ipaddress
from urllib.parse import urlsplit

import httpx

from tests.support.cpe_soap import SimulatorError
from tests.support.cpe_transfers import USER_AGENT


def is_loopback(url: str) -> bool:
    """Whether the URL's host is on the loopback interface."""
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_loopback(url: str) -> None:
    """Refuse any ACS URL that is not on the loopback interface."""
    if not is_loopback(url):
        raise ValueError(f"the CPE simulator only talks to loopback URLs, not {url!r}")


class AcsConnection:
    """One session's HTTP: one keep-alive client, or a new client (TCP connection) per POST."""

    def __init__(
        self,
        url: str,
        *,
        new_connection_per_request: bool,
        timeout: float,
        charset: str = "utf-8",
        compress: bool = False,
        auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._url = url
        self._timeout = timeout
        self._charset = charset
        self._compress = compress
        self._transport = transport
        self._auth = auth
        self.cookies = httpx.Cookies()
        self._client = None if new_connection_per_request else self._new_client()

    def _new_client(self) -> httpx.AsyncClient:
        """A client that starts with the session's cookies."""
        return httpx.AsyncClient(
            cookies=self.cookies,
            auth=self._auth,
            timeout=self._timeout,
            trust_env=False,
            transport=self._transport,
            headers={"User-Agent": USER_AGENT},
        )

    def headers(self, body: bytes) -> dict[str, str]:
        """A CWMP POST's headers; an empty POST has no Content-Type (TR-069 3.4.1)."""
        if not body:
            return {}
        headers = {"Content-Type": f'text/xml; charset="{self._charset}"', "SOAPAction": '""'}
        if self._compress:
            headers["Content-Encoding"] = "gzip"
        return headers

    async def post(self, body: bytes) -> httpx.Response:
        """POST a CWMP message, gzipped if asked, sending every cookie of the session."""
        content = gzip.compress(body) if body and self._compress else body
        client = self._client or self._new_client()
        try:
            return await client.post(self._url, content=content, headers=self.headers(body))
        except httpx.HTTPError as error:
            raise SimulatorError(f"HTTP POST to {self._url} failed: {error!r}") from error
        finally:
            self.cookies = client.cookies
            if client is not self._client:
                await client.aclose()

    async def __aenter__(self) -> AcsConnection:
        """Enter the session."""
        return self

    async def __aexit__(self, *_: object) -> None:
        """Close the keep-alive client, if any."""
        if self._client is not None:
            await self._client.aclose()
