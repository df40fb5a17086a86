"""CPE authentication on /cwmp (TR-069 3.4.4): the request carrying the Inform must prove
the device's credentials with HTTP Digest or Basic; failures are counted and slowed down."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import msgspec

from acs.adapters.nonce_ledger import NonceLedger
from acs.adapters.secrets import SecretBox, SecretError
from acs.adapters.settings import Settings
from acs.domain import http_auth
from acs.domain.cwmp_credentials import (
    CredentialRuleError,
    CredentialSources,
    Identity,
    checked_rule,
)
from acs.domain.device import Device
from acs.domain.http_auth import (
    NONCE_SALT_BYTES,
    BasicCredentials,
    DigestCredentials,
    MalformedAuthorizationError,
    NonceCheck,
)

log = logging.getLogger(__name__)

REALM = "acs"
"""The realm of every challenge (part of each Digest response)."""
THRESHOLD = 5
"""Failed authentications a source address may make in a window before being slowed down."""
WINDOW = 300.0
"""Seconds over which a source's failures are counted (from its first failure)."""
FIRST_DELAY, MAX_DELAY = 0.25, 5.0
"""The delay of the first slowed answer, doubled with each further failure, at most 5 s."""
SOURCES = 10_000
"""Source addresses whose failures a worker remembers (the least recent are forgotten)."""


class RequestAuth(msgspec.Struct, frozen=True):
    """What authentication looks at in an HTTP request."""

    authorization: str = ""
    method: str = "POST"
    path: str = "/cwmp"
    secure: bool = False
    """Whether the request came over TLS (`https`)."""


class Refusal(msgspec.Struct, frozen=True):
    """An answer instead of the session: 401 with a challenge (or 403), empty body.
    `reason` names a failed authentication (empty for a plain challenge)."""

    status: int
    headers: dict[str, str] = {}
    delay: float = 0.0
    reason: str = ""


class _Failures(msgspec.Struct):
    count: int
    since: float


class FailureThrottle:
    """Failed authentications per source address, in this worker's memory: after
    `THRESHOLD` in a window each further failure is answered later (0.25 s, 0.5 s … 5 s)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._sources: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def failed(self, source: str) -> tuple[float, bool]:
        """Count a failure; the delay to answer it with, and whether it is the source's
        first in this window."""
        now = self.clock()
        with self._lock:
            record = self._sources.pop(source, None)
            if record is None or now - record.since > WINDOW:
                record = _Failures(0, now)
            record.count += 1
            self._sources[source] = record
            while len(self._sources) > SOURCES:
                self._sources.popitem(last=False)
        return delay_after(record.count), record.count == 1

    def passed(self, source: str) -> None:
        """A successful authentication forgets the source's failures."""
        with self._lock:
            self._sources.pop(source, None)

    def failures(self, source: str) -> int:
        """The failures counted for a source in its current window."""
        with self._lock:
            record = self._sources.get(source)
        return 0 if record is None or self.clock() - record.since > WINDOW else record.count


def delay_after(failures: int) -> float:
    """Seconds to wait before answering the n-th failure of a window."""
    if failures <= THRESHOLD:
        return 0.0
    return float(min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - THRESHOLD - 1)))


class CwmpAuth:
    """Checks the credentials of a request that opens a session (or claims to)."""

    def __init__(
        self,
        settings: Settings,
        box: SecretBox,
        keys: list[str],
        ledger: NonceLedger,
        *,
        throttle: FailureThrottle | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.mode, self.box, self.ledger = settings.cwmp_auth, box, ledger
        self.ttl = settings.cwmp_nonce_ttl
        self.allow_basic_without_tls = settings.cwmp_allow_basic_without_tls
        self.allow_bootstrap = settings.cwmp_allow_bootstrap
        self.sources = CredentialSources(
            rule=settings.cwmp_credential_rule,
            secret=settings.cwmp_credential_secret,
            shared_username=settings.cwmp_username,
            shared_password=settings.cwmp_password,
        )
        self.keys = [hmac.new(k.encode(), b"cwmp-digest-nonce", hashlib.sha256).digest()
                     for k in keys]  # fmt: skip
        self.opaque = http_auth.opaque_for(self.keys[0])
        self.throttle = throttle or FailureThrottle()
        self.clock = clock

    @property
    def enabled(self) -> bool:
        """Whether CPEs must authenticate (ACS_CWMP_AUTH is not `none`)."""
        return self.mode != "none"

    def challenge(self, *, stale: bool = False) -> Refusal:
        """401 asking for credentials: a Digest challenge with a fresh nonce, or Basic."""
        if self.mode == "basic":
            value = http_auth.basic_challenge(REALM)
        else:
            salt = secrets.token_bytes(NONCE_SALT_BYTES)
            nonce = http_auth.issue_nonce(self.keys[0], at=int(self.clock()), salt=salt)
            value = http_auth.digest_challenge(
                realm=REALM, nonce=nonce, opaque=self.opaque, stale=stale
            )
        return Refusal(401, {"WWW-Authenticate": value})

    def check(
        self, identity: Identity, device: Device | None, request: RequestAuth, source: str
    ) -> Refusal | None:
        """None when the request may open the device's session, else the answer to give."""
        if not self.enabled:
            return None
        accepted = self._accepted(identity, device)
        if accepted is None:
            return self.challenge()
        if not accepted and self.allow_bootstrap and (device is None or not device.informed):
            log.info("CPE from %s registers without credentials (bootstrap allowed)", source)
            return None
        return self._verify(accepted, request, source)

    def _verify(
        self, accepted: dict[str, str], request: RequestAuth, source: str
    ) -> Refusal | None:
        """Check the request's Authorization against the accepted credentials."""
        if self.mode == "basic" and not (request.secure or self.allow_basic_without_tls):
            return Refusal(403, reason="tls_required" if request.authorization else "")
        if not request.authorization:
            return self.challenge()
        try:
            credentials = http_auth.parse_authorization(request.authorization)
        except MalformedAuthorizationError as exc:
            return self._failed(source, "", "malformed", str(exc))
        if isinstance(credentials, BasicCredentials):
            return self._basic(credentials, accepted, source)
        return self._digest(credentials, accepted, request, source)

    def _accepted(self, identity: Identity, device: Device | None) -> dict[str, str] | None:
        """The credentials that authenticate this device; None if its own cannot be opened."""
        own = device.cwmp_credentials if device is not None else None
        if own is None:
            return self.sources.accepted(identity, None)
        try:
            return self.sources.accepted(
                identity, (own.username, self.box.open(own.sealed_password))
            )
        except SecretError:
            log.error("the CPE password of %s cannot be opened: check ACS_SECRET_KEY",
                      device.device_id if device else "?")  # fmt: skip
            return None

    def _basic(
        self, credentials: BasicCredentials, accepted: dict[str, str], source: str
    ) -> Refusal | None:
        if self.mode != "basic":
            return self._failed(source, credentials.username, "scheme", "Basic is not accepted")
        password = accepted.get(credentials.username)
        if password is None:
            return self._failed(source, credentials.username, "unknown_username", "")
        if not http_auth.basic_matches(credentials, password=password):
            return self._failed(source, credentials.username, "wrong_password", "")
        self.throttle.passed(source)
        return None

    def _digest(
        self,
        credentials: DigestCredentials,
        accepted: dict[str, str],
        request: RequestAuth,
        source: str,
    ) -> Refusal | None:
        nonce = http_auth.check_nonce(self.keys, credentials.nonce, now=self.clock(), ttl=self.ttl)
        failure = self._digest_failure(credentials, accepted, request, nonce)
        if failure is not None:
            return self._failed(source, credentials.username, *failure)
        if nonce is NonceCheck.STALE:
            return self.challenge(stale=True)
        expires = http_auth.nonce_issued_at(credentials.nonce) + self.ttl
        if not self.ledger.use(credentials.nonce, http_auth.nonce_count(credentials.nc), expires):
            return self._failed(source, credentials.username, "replay", "nonce count used already")
        self.throttle.passed(source)
        return None

    def _digest_failure(
        self,
        credentials: DigestCredentials,
        accepted: dict[str, str],
        request: RequestAuth,
        nonce: NonceCheck,
    ) -> tuple[str, str] | None:
        """Why a Digest Authorization fails (reason, detail), None if its response is right
        (its nonce may still be stale)."""
        if self.mode != "digest":
            return "scheme", "Digest is not accepted"
        problem = http_auth.digest_problem(
            credentials, realm=REALM, path=request.path, opaque=self.opaque
        )
        if problem is not None:
            return "digest_params", problem
        if nonce is NonceCheck.INVALID:
            return "bad_nonce", "not a nonce of this ACS"
        password = accepted.get(credentials.username)
        if password is None:
            return "unknown_username", ""
        if not http_auth.digest_matches(credentials, password=password, method=request.method):
            return "wrong_password", ""
        return None

    def _failed(self, source: str, username: str, reason: str, detail: str) -> Refusal:
        """Count a failure of the source, log its first, and challenge again (maybe later)."""
        delay, first = self.throttle.failed(source)
        if first:
            log.warning("CPE authentication from %s failed (%s%s) for username %r; further "
                        "failures from this address are counted, not logged", source, reason,
                        f": {detail}" if detail else "", username)  # fmt: skip
        refusal = self.challenge()
        return msgspec.structs.replace(refusal, delay=delay, reason=reason)


def settings_problems(settings: Settings) -> list[str]:
    """What is wrong with the CPE authentication settings (empty when nothing)."""
    problems = []
    if settings.cwmp_credential_rule:
        try:
            checked_rule(settings.cwmp_credential_rule)
        except CredentialRuleError as exc:
            problems.append(f"ACS_CWMP_CREDENTIAL_RULE: {exc}")
        if not settings.cwmp_credential_secret:
            problems.append("ACS_CWMP_CREDENTIAL_RULE needs ACS_CWMP_CREDENTIAL_SECRET")
    if bool(settings.cwmp_username) != bool(settings.cwmp_password):
        problems.append("ACS_CWMP_USERNAME and ACS_CWMP_PASSWORD go together")
    if ":" in settings.cwmp_username:
        problems.append("ACS_CWMP_USERNAME must not hold ':'")
    if settings.cwmp_nonce_ttl <= 0:
        problems.append("ACS_CWMP_NONCE_TTL must be more than 0 seconds")
    return problems


def build_cwmp_auth(
    settings: Settings, box: SecretBox, keys: list[str], ledger: NonceLedger
) -> CwmpAuth:
    """The authentication of a worker, once its settings are known to be sound."""
    problems = settings_problems(settings)
    if problems:
        raise SystemExit("invalid setting: " + "; ".join(problems))
    return CwmpAuth(settings, box, keys, ledger)
