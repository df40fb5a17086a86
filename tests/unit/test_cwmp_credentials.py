"""Which credentials authenticate a CPE, the derived rule, and the credential events."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from acs.domain import decide
from acs.domain.cwmp_credentials import (
    CredentialRuleError,
    CredentialsError,
    CredentialSources,
    Identity,
    checked_credentials,
    checked_rule,
    derived_password,
    identity_of,
    rule_username,
)
from acs.domain.device import DeviceNotFoundError, project
from acs.domain.device_id import aggregate_id
from acs.domain.events import CwmpCredentialsCleared, CwmpCredentialsSet, InformReceived
from acs.domain.messages import DeviceIdStruct, EventStruct, Inform
from acs.domain.timeline import describe, event_data

AT = datetime(2026, 3, 1, tzinfo=UTC)
BOX = Identity("202BC1", "BM632w", "SN-1")
RULE = "{oui}-{product_class}-{serial}"


def test_the_rule_names_the_device_from_its_device_id_as_sent() -> None:
    assert rule_username(RULE, BOX) == "202BC1-BM632w-SN-1"
    assert rule_username("cpe/{serial}", BOX) == "cpe/SN-1"


def test_the_derived_password_is_the_hex_hmac_sha256_of_the_username() -> None:
    expected = hmac.new(b"s3cret", b"202BC1-BM632w-SN-1", hashlib.sha256).hexdigest()
    assert derived_password("s3cret", "202BC1-BM632w-SN-1") == expected
    assert derived_password("s3cret", "202BC1-BM632w-SN-2") != expected
    assert derived_password("other", "202BC1-BM632w-SN-1") != expected


@pytest.mark.parametrize(
    "rule",
    [
        "{oui}-{product_class}",
        "{serial}-{mac}",
        "{serial!r}",
        "{serial:>10}",
        "{serial",
        "{}",
        "fixed",
    ],
)
def test_rules_without_serial_or_with_unknown_placeholders_are_refused(rule: str) -> None:
    with pytest.raises(CredentialRuleError):
        checked_rule(rule)


def test_a_sound_rule_is_kept() -> None:
    assert checked_rule(RULE) == RULE


def test_device_ids_give_back_their_device_id_fields() -> None:
    assert identity_of("202BC1-BM632w-SN%2D1") == BOX
    assert identity_of("202BC1-SN1") == Identity("202BC1", "", "SN1")
    assert identity_of("202BC1-BM632w-SN-1") is None  # not as the ACS writes ids
    assert identity_of("justaname") is None
    assert identity_of("a--b") is None
    assert identity_of("202BC1-BM632w-SN%FF") is None


def test_a_device_with_its_own_credentials_accepts_only_them() -> None:
    sources = CredentialSources(rule=RULE, secret="s", shared_username="u", shared_password="p")
    assert sources.accepted(BOX, ("mine", "pw")) == {"mine": "pw"}


def test_without_its_own_the_derived_and_shared_credentials_are_accepted() -> None:
    sources = CredentialSources(rule=RULE, secret="s", shared_username="u", shared_password="p")
    username = "202BC1-BM632w-SN-1"
    assert sources.accepted(BOX, None) == {"u": "p", username: derived_password("s", username)}
    assert CredentialSources().accepted(BOX, None) == {}


@pytest.mark.parametrize(
    ("username", "password"),
    [("", "p"), ("u", ""), ("a:b", "p"), ("u", "p\n"), ("u" * 257, "p"), ("u", "p" * 257)],
)
def test_credentials_a_cpe_cannot_send_are_refused(username: str, password: str) -> None:
    with pytest.raises(CredentialsError):
        checked_credentials(username, password)


def _inform(manufacturer: str = "Huawei") -> Inform:
    return Inform(
        device_id=DeviceIdStruct(manufacturer, "202BC1", "BM632w", "SN-1"),
        events=(EventStruct("0 BOOTSTRAP", ""),),
        max_envelopes=1,
        current_time=None,
        retry_count=0,
        parameters=(),
    )


def test_credentials_set_before_the_first_inform_start_the_device() -> None:
    public = "202BC1-BM632w-SN%2D1"
    aggregate = aggregate_id(public)
    events = decide.set_cwmp_credentials(
        None,
        aggregate=aggregate,
        public_id=public,
        username="cpe",
        sealed_password="sealed:v1:x",
        actor="alice",
        at=AT,
    )
    (event,) = events
    assert isinstance(event, CwmpCredentialsSet) and event.device_id == public
    device = project(None, events)
    assert device is not None and not device.informed
    assert device.cwmp_credentials is not None and device.cwmp_credentials.username == "cpe"
    informed = decide.receive_inform(
        device,
        _inform(""),
        aggregate=aggregate,
        public_id=public,
        source_ip="",
        session_id="s",
        cwmp_version="V1_0",
        at=AT,
    )
    (inform,) = informed
    assert isinstance(inform, InformReceived)
    assert inform.device_id == public, "the first Inform records the identity"
    assert inform.originator_version == 2
    after = project(device, informed)
    assert after is not None and after.informed and after.cwmp_credentials is not None


def test_clearing_credentials_records_only_a_change() -> None:
    public = "202BC1-BM632w-SN%2D1"
    aggregate = aggregate_id(public)
    device = project(
        None,
        decide.set_cwmp_credentials(
            None,
            aggregate=aggregate,
            public_id=public,
            username="cpe",
            sealed_password="sealed:v1:x",
            actor="alice",
            at=AT,
        ),
    )
    cleared = decide.clear_cwmp_credentials(device, actor="bob", at=AT)
    assert [type(e) for e in cleared] == [CwmpCredentialsCleared]
    after = project(device, cleared)
    assert after is not None and after.cwmp_credentials is None
    assert decide.clear_cwmp_credentials(after, actor="bob", at=AT) == []
    with pytest.raises(DeviceNotFoundError):
        decide.clear_cwmp_credentials(None, actor="bob", at=AT)


def test_the_timeline_never_shows_the_sealed_password() -> None:
    event = CwmpCredentialsSet(
        originator_id=aggregate_id("x"),
        originator_version=1,
        timestamp=AT,
        username="cpe",
        sealed_password="sealed:v1:abc",
        actor="alice",
    )
    assert event_data(event)["sealed_password"] == "********"
    assert "abc" not in describe(event)
    assert describe(event) == "CPE credentials set for user cpe by alice"
