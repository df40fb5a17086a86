"""HTTP authentication of CPEs (TR-069 3.4.4): Basic (RFC 7617) and Digest (RFC 7616, MD5,
`qop=auth`) headers parsed, challenged and verified, with stateless nonces.

Pure: keys, times and random bytes are passed in. A nonce is `timestamp + salt + MAC`
(hex), the MAC an HMAC-SHA256 of the first two under a server key, so that any worker
verifies any nonce and its expiry needs no storage. Only the replay of a nonce count needs
storage (the application keeps it).

The legacy RFC 2069 form (no `qop`) is refused: the challenge always offers `qop="auth"`, which
RFC 2617 clients must then use and RFC 7616 makes mandatory, and without a nonce count a
request could only be protected against replay by single-use nonces.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
from urllib.parse import unquote, urlsplit

import msgspec

NONCE_SALT_BYTES = 8
"""Random bytes in each nonce, so that two challenges in the same second differ."""
_MAC_BYTES = 16
_NONCE_LENGTH = 2 * (4 + NONCE_SALT_BYTES + _MAC_BYTES)
_CLOCK_SKEW = 5
"""Seconds a nonce may seem to come from the future (workers' clocks differ slightly)."""
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SPACE = " \t"
_HEX = frozenset("0123456789abcdefABCDEF")


class BasicCredentials(msgspec.Struct, frozen=True):
    """`Authorization: Basic` (RFC 7617): a user id and a password."""

    username: str
    password: str


class DigestCredentials(msgspec.Struct, frozen=True, kw_only=True):
    """`Authorization: Digest` (RFC 7616 3.4): what the client computed its response over."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    qop: str = ""
    nc: str = ""
    cnonce: str = ""
    algorithm: str = ""
    opaque: str = ""
    userhash: bool = False


Credentials = BasicCredentials | DigestCredentials


class MalformedAuthorizationError(ValueError):
    """An Authorization header that no RFC 7617 or RFC 7616 client sends."""


class NonceCheck(enum.Enum):
    """How a nonce stands: ours and fresh, ours and expired, or not ours."""

    VALID = "valid"
    STALE = "stale"
    INVALID = "invalid"


# --- parsing ----------------------------------------------------------------------------------


def parse_authorization(header: str) -> Credentials:
    """The credentials of an `Authorization` header (Basic or Digest, any case)."""
    scheme, _, rest = header.strip().partition(" ")
    match scheme.lower():
        case "basic":
            return _basic(rest.strip())
        case "digest":
            return _digest(auth_params(rest))
    raise MalformedAuthorizationError(f"unsupported scheme {scheme[:20]!r}")


def _basic(token: str) -> BasicCredentials:
    """RFC 7617 2: base64 of `user-id:password`, UTF-8."""
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise MalformedAuthorizationError("Basic credentials are not base64 of UTF-8") from exc
    username, colon, password = decoded.partition(":")
    if not colon:
        raise MalformedAuthorizationError("Basic credentials lack the ':'")
    return BasicCredentials(username, password)


def _digest(params: dict[str, str]) -> DigestCredentials:
    """RFC 7616 3.4: the directives a response needs; `username*` (RFC 8187) decoded."""
    username = params.get("username")
    if "username*" in params:
        if username is not None:
            raise MalformedAuthorizationError("both username and username* given")
        username = _ext_value(params["username*"])
    missing = [k for k in ("realm", "nonce", "uri", "response") if k not in params]
    if username is None or missing:
        raise MalformedAuthorizationError(f"Digest lacks {', '.join(missing) or 'username'}")
    return DigestCredentials(
        username=username,
        realm=params["realm"],
        nonce=params["nonce"],
        uri=params["uri"],
        response=params["response"],
        qop=params.get("qop", ""),
        nc=params.get("nc", ""),
        cnonce=params.get("cnonce", ""),
        algorithm=params.get("algorithm", ""),
        opaque=params.get("opaque", ""),
        userhash=params.get("userhash", "false").lower() == "true",
    )


def _ext_value(value: str) -> str:
    """An RFC 8187 ext-value, `UTF-8''percent-encoded`."""
    charset, _, rest = value.partition("'")
    _, _, encoded = rest.partition("'")
    if charset.lower() != "utf-8":
        raise MalformedAuthorizationError("username* is not UTF-8")
    return unquote(encoded, errors="strict")


def auth_params(text: str) -> dict[str, str]:
    """RFC 7235 2.1 auth-params: `name = token / quoted-string`, comma-separated; names in
    lower case, quoted-pairs unescaped; a repeated name is malformed (RFC 7616 3.4)."""
    params: dict[str, str] = {}
    i, end = 0, len(text)
    while True:
        while i < end and (text[i] in _SPACE or text[i] == ","):
            i += 1
        if i >= end:
            return params
        name, i = _token(text, i)
        i = _skip_space(text, i)
        if i >= end or text[i] != "=":
            raise MalformedAuthorizationError(f"expected '=' after {name!r}")
        i = _skip_space(text, i + 1)
        value, i = _quoted(text, i) if i < end and text[i] == '"' else _token(text, i)
        if name.lower() in params:
            raise MalformedAuthorizationError(f"{name!r} given twice")
        params[name.lower()] = value
        i = _skip_space(text, i)
        if i < end and text[i] != ",":
            raise MalformedAuthorizationError(f"expected ',' after {name!r}")


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _token(text: str, i: int) -> tuple[str, int]:
    start = i
    while i < len(text) and text[i] in _TCHAR:
        i += 1
    if i == start:
        raise MalformedAuthorizationError(f"expected a token at {i}")
    return text[start:i], i


def _quoted(text: str, i: int) -> tuple[str, int]:
    """A quoted-string starting at `text[i] == '"'`: its value and the index after it."""
    out: list[str] = []
    i += 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), i + 1
        if char == "\\" and i + 1 < len(text):
            i += 1
            char = text[i]
        out.append(char)
        i += 1
    raise MalformedAuthorizationError("unterminated quoted string")


def quoted(value: str) -> str:
    """A quoted-string (RFC 9110 5.6.4) holding `value`."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- Digest -----------------------------------------------------------------------------------


def md5_hex(text: str) -> str:
    """MD5 of UTF-8 text, lower-case hex."""
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def digest_response(
    *,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str,
    cnonce: str,
    qop: str = "auth",
) -> str:
    """The `response` of RFC 7616 3.4.1 with MD5 and `qop=auth`:
    `MD5(MD5(user:realm:password):nonce:nc:cnonce:qop:MD5(method:uri))`."""
    ha1 = md5_hex(f"{username}:{realm}:{password}")
    ha2 = md5_hex(f"{method}:{uri}")
    return md5_hex(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def digest_problem(
    credentials: DigestCredentials, *, realm: str, path: str, opaque: str
) -> str | None:
    """Why the directives cannot authenticate a request to `path` in `realm` (None: they
    may, if the response is right): wrong realm, URI, algorithm, opaque, no `qop=auth`."""
    checks = (
        (credentials.realm != realm, "wrong realm"),
        ((urlsplit(credentials.uri).path or "/") != path, "uri is not the request's"),
        (credentials.algorithm.upper() not in ("", "MD5"), "algorithm not offered"),
        (credentials.userhash, "userhash not offered"),
        (bool(credentials.opaque) and credentials.opaque != opaque, "wrong opaque"),
        (credentials.qop != "auth" or not credentials.cnonce, "qop=auth with a cnonce needed"),
        (not nonce_count(credentials.nc), "nc is not 8 hex digits above 0"),
    )
    return next((why for failed, why in checks if failed), None)


def nonce_count(nc: str) -> int:
    """The nonce count, 8 hex digits (RFC 7616 3.4); 0 when malformed (or 0)."""
    if len(nc) != 8 or not set(nc) <= _HEX:
        return 0
    return int(nc, 16)


def digest_matches(credentials: DigestCredentials, *, password: str, method: str) -> bool:
    """Whether the client's response is the one this password gives (constant time)."""
    expected = digest_response(
        username=credentials.username,
        realm=credentials.realm,
        password=password,
        method=method,
        uri=credentials.uri,
        nonce=credentials.nonce,
        nc=credentials.nc,
        cnonce=credentials.cnonce,
        qop=credentials.qop,
    )
    return hmac.compare_digest(credentials.response.lower().encode(), expected.encode())


def basic_matches(credentials: BasicCredentials, *, password: str) -> bool:
    """Whether a Basic password is this one (constant time)."""
    return hmac.compare_digest(credentials.password.encode(), password.encode())


# --- challenges and nonces --------------------------------------------------------------------


def digest_challenge(*, realm: str, nonce: str, opaque: str, stale: bool = False) -> str:
    """A `WWW-Authenticate` value offering Digest with MD5 and `qop=auth` (RFC 7616 3.3)."""
    challenge = (
        f'Digest realm={quoted(realm)}, qop="auth", algorithm=MD5, '
        f"nonce={quoted(nonce)}, opaque={quoted(opaque)}"
    )
    return challenge + ", stale=true" if stale else challenge


def basic_challenge(realm: str) -> str:
    """A `WWW-Authenticate` value offering Basic (RFC 7617 2), UTF-8."""
    return f'Basic realm={quoted(realm)}, charset="UTF-8"'


def _mac(key: bytes, data: str) -> str:
    return hmac.new(key, data.encode(), hashlib.sha256).digest()[:_MAC_BYTES].hex()


def issue_nonce(key: bytes, *, at: int, salt: bytes) -> str:
    """A nonce issued at `at` (seconds since the epoch): `timestamp salt MAC`, in hex."""
    head = f"{at:08x}{salt.hex()}"
    return head + _mac(key, head)


def nonce_issued_at(nonce: str) -> int:
    """When a well-formed nonce was issued (seconds since the epoch)."""
    return int(nonce[:8], 16)


def check_nonce(keys: list[bytes], nonce: str, *, now: float, ttl: float) -> NonceCheck:
    """Whether a nonce was issued by one of `keys`, and is younger than `ttl` seconds."""
    if len(nonce) != _NONCE_LENGTH or not set(nonce) <= _HEX:
        return NonceCheck.INVALID
    head, mac = nonce[: -2 * _MAC_BYTES], nonce[-2 * _MAC_BYTES :]
    if not any(hmac.compare_digest(_mac(key, head), mac.lower()) for key in keys):
        return NonceCheck.INVALID
    issued = nonce_issued_at(nonce)
    if issued > now + _CLOCK_SKEW:
        return NonceCheck.INVALID
    return NonceCheck.STALE if now - issued >= ttl else NonceCheck.VALID


def opaque_for(key: bytes) -> str:
    """The `opaque` of this server's challenges (RFC 7616 3.3), the same on every worker."""
    return _mac(key, "opaque")
