"""CPE authentication decisions: which requests open a session, which are challenged,
refused or slowed down (fakes for the clock and the nonce ledger)."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from acs.adapters.secrets import SecretBox
from acs.adapters.settings import Settings
from acs.application.cwmp_auth import (
    MAX_DELAY,
    THRESHOLD,
    WINDOW,
    CwmpAuth,
    FailureThrottle,
    RequestAuth,
    delay_after,
    settings_problems,
)
from acs.cli_cwmp import check_cwmp_auth, derived_credentials
from acs.domain import decide
from acs.domain.cwmp_credentials import Identity, derived_password
from acs.domain.device import Device, project
from acs.domain.device_id import aggregate_id
from acs.domain.http_auth import auth_params, digest_response
from acs.loadgen.cwmp_login import Login
from tests.support.digest_auth import parse_authorization

BOX = Identity("202BC1", "BM632w", "SN1")
OTHER = Identity("202BC1", "BM632w", "SN2")
PUBLIC = "202BC1-BM632w-SN1"
KEYS = ["secret-key"]
NOW = 1_800_000_000.0


class Ledger:
    """The nonce counts used, as the `cwmp_nonces` table keeps them."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def use(self, nonce: str, count: int, expires_at: float) -> bool:
        if self.counts.get(nonce, 0) >= count:
            return False
        self.counts[nonce] = count
        return True


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(**settings: Any) -> tuple[CwmpAuth, Clock]:
    clock = Clock()
    auth = CwmpAuth(
        Settings(**{"cwmp_auth": "digest", **settings}),
        SecretBox(KEYS),
        KEYS,
        Ledger(),
        throttle=FailureThrottle(clock),
        clock=clock,
    )
    return auth, clock


def challenge_of(auth: CwmpAuth) -> dict[str, str]:
    refusal = auth.challenge()
    _, params = parse_authorization(refusal.headers["WWW-Authenticate"])
    return params


def digest(
    params: dict[str, str], username: str, password: str, nc: int = 1, path: str = "/cwmp"
) -> RequestAuth:
    nc_text = f"{nc:08x}"
    response = digest_response(
        username=username,
        realm=params["realm"],
        password=password,
        method="POST",
        uri=path,
        nonce=params["nonce"],
        nc=nc_text,
        cnonce="c0ffee",
    )
    header = (
        f'Digest username="{username}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{path}", qop=auth, nc={nc_text}, cnonce="c0ffee", response="{response}", '
        f'opaque="{params["opaque"]}", algorithm=MD5'
    )
    return RequestAuth(authorization=header)


def basic(username: str, password: str, *, secure: bool = False) -> RequestAuth:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return RequestAuth(authorization=f"Basic {token}", secure=secure)


def with_own(username: str, password: str, *, informed: bool = True) -> Device:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    events = decide.set_cwmp_credentials(
        None,
        aggregate=aggregate_id(PUBLIC),
        public_id=PUBLIC,
        username=username,
        sealed_password=SecretBox(KEYS).seal(password),
        actor="alice",
        at=at,
    )
    device = project(None, events)
    assert device is not None
    return device if not informed else Device(**{**_fields(device), "last_inform": at})


def _fields(device: Device) -> dict[str, Any]:
    return {name: getattr(device, name) for name in device.__struct_fields__}


def test_with_auth_off_every_request_passes() -> None:
    auth, _ = make(cwmp_auth="none")
    assert auth.check(BOX, None, RequestAuth(), "10.0.0.1") is None


def test_a_request_without_credentials_gets_a_digest_challenge() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    refusal = auth.check(BOX, None, RequestAuth(), "10.0.0.1")
    assert refusal is not None and refusal.status == 401 and refusal.reason == ""
    header = refusal.headers["WWW-Authenticate"]
    assert header.startswith("Digest ")
    params = auth_params(header.removeprefix("Digest "))
    assert params["qop"] == "auth" and params["algorithm"] == "MD5" and params["realm"] == "acs"
    assert "stale" not in params


def test_the_shared_fallback_authenticates_any_device() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    params = challenge_of(auth)
    assert auth.check(BOX, None, digest(params, "acs", "pw"), "10.0.0.1") is None
    assert auth.check(OTHER, None, digest(params, "acs", "pw", nc=2), "10.0.0.1") is None


def test_a_wrong_password_or_unknown_user_is_a_counted_failure() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    params = challenge_of(auth)
    wrong = auth.check(BOX, None, digest(params, "acs", "nope"), "10.0.0.1")
    assert wrong is not None and wrong.status == 401 and wrong.reason == "wrong_password"
    unknown = auth.check(BOX, None, digest(params, "who", "pw"), "10.0.0.1")
    assert unknown is not None and unknown.reason == "unknown_username"
    assert auth.throttle.failures("10.0.0.1") == 2


def test_a_replayed_nonce_count_is_refused() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    params = challenge_of(auth)
    request = digest(params, "acs", "pw", nc=1)
    assert auth.check(BOX, None, request, "10.0.0.1") is None
    replay = auth.check(BOX, None, request, "10.0.0.1")
    assert replay is not None and replay.reason == "replay"
    lower = auth.check(BOX, None, digest(params, "acs", "pw", nc=1), "10.0.0.1")
    assert lower is not None and lower.reason == "replay"
    assert auth.check(BOX, None, digest(params, "acs", "pw", nc=2), "10.0.0.1") is None


def test_an_expired_nonce_with_the_right_password_gets_a_stale_challenge() -> None:
    auth, clock = make(cwmp_username="acs", cwmp_password="pw", cwmp_nonce_ttl=300)
    params = challenge_of(auth)
    clock.now += 301
    refusal = auth.check(BOX, None, digest(params, "acs", "pw"), "10.0.0.1")
    assert refusal is not None and refusal.status == 401 and refusal.reason == ""
    renewed = auth_params(refusal.headers["WWW-Authenticate"].removeprefix("Digest "))
    assert renewed["stale"] == "true" and renewed["nonce"] != params["nonce"]
    wrong = auth.check(BOX, None, digest(params, "acs", "nope", nc=2), "10.0.0.1")
    assert wrong is not None and wrong.reason == "wrong_password"
    assert "stale" not in wrong.headers["WWW-Authenticate"]


def test_a_nonce_of_another_acs_is_refused() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    other, _ = make(cwmp_username="acs", cwmp_password="pw")
    other.keys = [b"another key"]
    params = challenge_of(other)
    params["opaque"] = auth.opaque
    refusal = auth.check(BOX, None, digest(params, "acs", "pw"), "10.0.0.1")
    assert refusal is not None and refusal.reason == "bad_nonce"


def test_the_derived_rule_authenticates_only_its_own_device() -> None:
    auth, _ = make(
        cwmp_credential_rule="{oui}-{product_class}-{serial}", cwmp_credential_secret="factory"
    )
    params = challenge_of(auth)
    username = "202BC1-BM632w-SN1"
    request = digest(params, username, derived_password("factory", username))
    assert auth.check(BOX, None, request, "10.0.0.1") is None
    as_other = digest(params, username, derived_password("factory", username), nc=2)
    refusal = auth.check(OTHER, None, as_other, "10.0.0.1")
    assert refusal is not None and refusal.reason == "unknown_username"


def test_own_credentials_replace_the_shared_ones() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    device = with_own("mine", "my-pw")
    params = challenge_of(auth)
    assert auth.check(BOX, device, digest(params, "mine", "my-pw"), "10.0.0.1") is None
    shared = auth.check(BOX, device, digest(params, "acs", "pw", nc=2), "10.0.0.1")
    assert shared is not None and shared.reason == "unknown_username"


def test_an_unknown_device_without_any_credentials_is_refused_unless_bootstrap() -> None:
    auth, _ = make()
    refusal = auth.check(BOX, None, RequestAuth(), "10.0.0.1")
    assert refusal is not None and refusal.status == 401
    bootstrap, _ = make(cwmp_allow_bootstrap=True)
    assert bootstrap.check(BOX, None, RequestAuth(), "10.0.0.1") is None


def test_bootstrap_is_for_the_first_inform_only() -> None:
    auth, _ = make(cwmp_allow_bootstrap=True)
    known = Device(
        id=aggregate_id(PUBLIC),
        version=1,
        device_id=PUBLIC,
        parameters={},
        last_inform=datetime(2026, 1, 1, tzinfo=UTC),
    )
    refusal = auth.check(BOX, known, RequestAuth(), "10.0.0.1")
    assert refusal is not None and refusal.status == 401


def test_bootstrap_does_not_skip_configured_credentials() -> None:
    auth, _ = make(cwmp_allow_bootstrap=True, cwmp_username="acs", cwmp_password="pw")
    refusal = auth.check(BOX, None, RequestAuth(), "10.0.0.1")
    assert refusal is not None and refusal.status == 401


def test_basic_is_refused_over_plain_http_unless_allowed() -> None:
    auth, _ = make(cwmp_auth="basic", cwmp_username="acs", cwmp_password="pw")
    refused = auth.check(BOX, None, basic("acs", "pw"), "10.0.0.1")
    assert refused is not None and refused.status == 403 and refused.reason == "tls_required"
    assert "WWW-Authenticate" not in refused.headers
    assert auth.check(BOX, None, basic("acs", "pw", secure=True), "10.0.0.1") is None
    challenge = auth.check(BOX, None, RequestAuth(secure=True), "10.0.0.1")
    assert challenge is not None
    assert challenge.headers["WWW-Authenticate"].startswith('Basic realm="acs"')
    allowed, _ = make(
        cwmp_auth="basic",
        cwmp_username="acs",
        cwmp_password="pw",
        cwmp_allow_basic_without_tls=True,
    )
    assert allowed.check(BOX, None, basic("acs", "pw"), "10.0.0.1") is None
    wrong = allowed.check(BOX, None, basic("acs", "nope"), "10.0.0.1")
    assert wrong is not None and wrong.reason == "wrong_password"


def test_each_mode_accepts_only_its_own_scheme() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    refusal = auth.check(BOX, None, basic("acs", "pw", secure=True), "10.0.0.1")
    assert refusal is not None and refusal.reason == "scheme"


def test_a_malformed_header_is_a_failure_not_an_error() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    refusal = auth.check(BOX, None, RequestAuth(authorization='Digest x="'), "10.0.0.1")
    assert refusal is not None and refusal.status == 401 and refusal.reason == "malformed"


def test_failures_are_slowed_down_after_the_threshold_and_reset_by_a_success() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    params = challenge_of(auth)
    delays = []
    for n in range(1, THRESHOLD + 8):
        refusal = auth.check(BOX, None, digest(params, "acs", "bad", nc=n), "10.0.0.9")
        assert refusal is not None
        delays.append(refusal.delay)
    assert delays[:THRESHOLD] == [0.0] * THRESHOLD
    assert delays[THRESHOLD:] == [0.25, 0.5, 1.0, 2.0, 4.0, MAX_DELAY, MAX_DELAY]
    assert auth.throttle.failures("10.0.0.7") == 0, "counted per source address"
    assert auth.check(BOX, None, digest(params, "acs", "pw", nc=99), "10.0.0.9") is None
    assert auth.throttle.failures("10.0.0.9") == 0


def test_failures_are_forgotten_after_the_window() -> None:
    clock = Clock()
    throttle = FailureThrottle(clock)
    for _ in range(THRESHOLD + 2):
        throttle.failed("10.0.0.1")
    clock.now += WINDOW + 1
    assert throttle.failures("10.0.0.1") == 0
    assert throttle.failed("10.0.0.1") == (0.0, True)
    assert delay_after(THRESHOLD + 100) == MAX_DELAY


def test_a_source_is_logged_once_with_the_username_never_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    params = challenge_of(auth)
    with caplog.at_level(logging.INFO):
        for n in range(1, 4):
            auth.check(BOX, None, digest(params, "acs", "Wr0ngPa55", nc=n), "10.0.0.1")
        auth.check(BOX, None, basic("acs", "Wr0ngPa55"), "10.0.0.1")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "10.0.0.1" in warnings[0] and "'acs'" in warnings[0]
    assert "Wr0ngPa55" not in caplog.text and "pw" not in caplog.text.split()


def test_an_unreadable_own_password_refuses_rather_than_falls_back() -> None:
    auth, _ = make(cwmp_username="acs", cwmp_password="pw")
    device = with_own("mine", "my-pw")
    auth.box = SecretBox(["a rotated-away key"])
    params = challenge_of(auth)
    refusal = auth.check(BOX, device, digest(params, "acs", "pw"), "10.0.0.1")
    assert refusal is not None and refusal.status == 401


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"cwmp_credential_rule": "{oui}"}, "ACS_CWMP_CREDENTIAL_RULE"),
        ({"cwmp_credential_rule": "{serial}"}, "needs ACS_CWMP_CREDENTIAL_SECRET"),
        ({"cwmp_username": "u"}, "go together"),
        ({"cwmp_username": "a:b", "cwmp_password": "p"}, "':'"),
        ({"cwmp_nonce_ttl": 0}, "ACS_CWMP_NONCE_TTL"),
    ],
)
def test_unsound_settings_are_reported(settings: dict[str, Any], problem: str) -> None:
    problems = settings_problems(Settings(**settings))
    assert problems and problem in problems[0]


def test_sound_settings_have_no_problem() -> None:
    settings = Settings(
        cwmp_auth="digest",
        cwmp_credential_rule="{oui}-{serial}",
        cwmp_credential_secret="s",
        cwmp_username="u",
        cwmp_password="p",
    )
    assert settings_problems(settings) == []


def test_the_load_generator_answers_the_acs_challenges() -> None:
    auth, _ = make(
        cwmp_credential_rule="{oui}-{product_class}-{serial}", cwmp_credential_secret="factory"
    )
    login = Login(rule="{oui}-{product_class}-{serial}", secret="factory")
    header = login.authorization(auth.challenge().headers["WWW-Authenticate"], BOX, "/cwmp")
    assert header is not None
    assert auth.check(BOX, None, RequestAuth(authorization=header), "10.0.0.1") is None
    shared = Login(username="acs", password="pw")
    basic_auth, _ = make(cwmp_auth="basic", cwmp_username="acs", cwmp_password="pw")
    header = shared.authorization(basic_auth.challenge().headers["WWW-Authenticate"], BOX, "/")
    assert header is not None
    request = RequestAuth(authorization=header, secure=True)
    assert basic_auth.check(BOX, None, request, "10.0.0.1") is None
    assert shared.authorization("Bearer realm=x", BOX, "/cwmp") is None


def test_serving_without_cpe_authentication_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        check_cwmp_auth(Settings())
        check_cwmp_auth(Settings(cwmp_auth="digest", cwmp_username="u", cwmp_password="p"))
    assert [r.getMessage() for r in caplog.records] == [
        "CPE authentication is off (ACS_CWMP_AUTH=none): anyone who reaches /cwmp can inform "
        "as any device; set ACS_CWMP_AUTH=digest"
    ]
    with pytest.raises(SystemExit, match="ACS_CWMP_CREDENTIAL_SECRET"):
        check_cwmp_auth(Settings(cwmp_auth="digest", cwmp_credential_rule="{serial}"))


def test_cwmp_password_derives_from_a_device_id_or_a_username() -> None:
    settings = Settings(
        cwmp_credential_rule="{oui}-{product_class}-{serial}", cwmp_credential_secret="factory"
    )
    username = "202BC1-BM632w-SN-1"
    expected = (username, derived_password("factory", username))
    assert derived_credentials("202BC1-BM632w-SN%2D1", settings) == expected
    assert derived_credentials(username, settings) == expected
    with pytest.raises(SystemExit, match="ACS_CWMP_CREDENTIAL_SECRET"):
        derived_credentials(username, Settings())


def test_serving_basic_over_plain_http_warns(caplog: pytest.LogCaptureFixture) -> None:
    basic = Settings(cwmp_auth="basic", cwmp_username="u", cwmp_password="p")
    with caplog.at_level(logging.WARNING):
        check_cwmp_auth(basic, tls=True)
        assert not caplog.records
        check_cwmp_auth(basic)
    assert "403" in caplog.records[0].getMessage()
