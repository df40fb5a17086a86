"""HTTP Digest authentication (RFC 7616 / RFC 2617, MD5, qop=auth) for connection requests.

The CPE's side of TR-069 3.2.2: challenge with a fresh nonce, verify the ACS's answer, and
optionally accept Basic authentication. Pure: no sockets, just headers in and out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from typing import Final

_PARAMETER: Final = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))')
MAX_NONCES: Final = 64


def md5_hex(text: str) -> str:
    """The MD5 digest of UTF-8 text, in lower-case hex."""
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_response(
    *,
    username: str,
    password: str,
    realm: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str = "",
    cnonce: str = "",
    qop: str = "",
) -> str:
    """The `response` value of a Digest Authorization (RFC 2617 3.2.2.1), MD5."""
    ha1 = md5_hex(f"{username}:{realm}:{password}")
    ha2 = md5_hex(f"{method}:{uri}")
    if qop:
        return md5_hex(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return md5_hex(f"{ha1}:{nonce}:{ha2}")


def parse_authorization(header: str) -> tuple[str, dict[str, str]]:
    """An Authorization header's scheme (lower case) and its parameters (or token68)."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() == "basic":
        return "basic", {"token": rest.strip()}
    found = {
        key.lower(): (quoted.replace('\\"', '"') if quoted else bare)
        for key, quoted, bare in _PARAMETER.findall(rest)
    }
    return scheme.lower(), found


class DigestAuthenticator:
    """Challenges and verifies one realm's requests against the current credentials."""

    def __init__(
        self,
        realm: str,
        credentials: Callable[[], tuple[str, str]],
        *,
        allow_basic: bool = False,
    ) -> None:
        self.realm = realm
        self.credentials = credentials
        self.allow_basic = allow_basic
        self.opaque = secrets.token_hex(16)
        self._nonces: dict[str, int] = {}

    def challenges(self) -> list[str]:
        """The WWW-Authenticate values of a 401: Digest with a fresh nonce, and maybe Basic."""
        nonce = secrets.token_hex(16)
        self._nonces[nonce] = 0
        while len(self._nonces) > MAX_NONCES:
            del self._nonces[next(iter(self._nonces))]
        digest = (
            f'Digest realm="{self.realm}", qop="auth", nonce="{nonce}", '
            f'opaque="{self.opaque}", algorithm=MD5'
        )
        return [digest, f'Basic realm="{self.realm}"'] if self.allow_basic else [digest]

    def verify(self, method: str, uri: str, authorization: str | None) -> bool:
        """Whether an Authorization header authenticates this request."""
        if not authorization:
            return False
        scheme, fields = parse_authorization(authorization)
        if scheme == "basic":
            return self.allow_basic and self._verify_basic(fields["token"])
        return scheme == "digest" and self._verify_digest(method, uri, fields)

    def _verify_basic(self, token: str) -> bool:
        """Basic: base64 of user:password."""
        try:
            decoded = base64.b64decode(token, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, _, password = decoded.partition(":")
        expected_username, expected_password = self.credentials()
        return _equal(username, expected_username) & _equal(password, expected_password)

    def _verify_digest(self, method: str, uri: str, fields: dict[str, str]) -> bool:
        """Digest: our realm and nonce, this URI, a fresh nonce count and the right response."""
        nonce, qop = fields.get("nonce", ""), fields.get("qop", "")
        expected_username, password = self.credentials()
        if (
            nonce not in self._nonces
            or fields.get("realm") != self.realm
            or fields.get("uri") != uri
            or fields.get("algorithm", "MD5").upper() != "MD5"
            or qop not in ("", "auth")
            or not _equal(fields.get("username", ""), expected_username)
        ):
            return False
        count = 0
        if qop:
            try:
                count = int(fields.get("nc", ""), 16)
            except ValueError:
                return False
            if count <= self._nonces[nonce] or not fields.get("cnonce"):
                return False  # a replayed nonce count
        expected = digest_response(
            username=expected_username,
            password=password,
            realm=self.realm,
            method=method,
            uri=uri,
            nonce=nonce,
            nc=fields.get("nc", ""),
            cnonce=fields.get("cnonce", ""),
            qop=qop,
        )
        if not _equal(fields.get("response", "").lower(), expected):
            return False
        if qop:
            self._nonces[nonce] = count
        return True


def _equal(given: str, expected: str) -> bool:
    """Compare secrets in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())
