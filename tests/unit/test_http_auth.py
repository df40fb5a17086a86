"""CPE authentication's pure parts: header parsing, Digest arithmetic, challenges, nonces."""

from __future__ import annotations

import base64

import pytest

from acs.domain import http_auth
from acs.domain.http_auth import (
    BasicCredentials,
    DigestCredentials,
    MalformedAuthorizationError,
    NonceCheck,
    auth_params,
    check_nonce,
    digest_challenge,
    digest_matches,
    digest_problem,
    digest_response,
    issue_nonce,
    parse_authorization,
)

KEY, OTHER_KEY = b"k" * 32, b"o" * 32
SALT = bytes(range(8))
OPAQUE = http_auth.opaque_for(KEY)

# RFC 2617 3.5: the worked example (GET /dir/index.html, qop=auth).
RFC2617 = (
    'Digest username="Mufasa", realm="testrealm@host.com", '
    'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, '
    'nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", '
    'opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)
# RFC 7616 3.9.1: the worked example with MD5.
RFC7616 = (
    'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
    'algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
    'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
    'response="8ca523f5e9506fed4657c9700eebdbec", '
    'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
)


def test_the_rfc_2617_example_verifies_with_its_password() -> None:
    credentials = parse_authorization(RFC2617)
    assert isinstance(credentials, DigestCredentials)
    assert credentials.username == "Mufasa" and credentials.nc == "00000001"
    assert digest_matches(credentials, password="Circle Of Life", method="GET")
    assert not digest_matches(credentials, password="Circle of Life", method="GET")
    assert not digest_matches(credentials, password="Circle Of Life", method="POST")


def test_the_rfc_7616_md5_example_verifies_with_its_password() -> None:
    credentials = parse_authorization(RFC7616)
    assert isinstance(credentials, DigestCredentials)
    assert credentials.algorithm == "MD5"
    assert digest_matches(credentials, password="Circle of Life", method="GET")
    expected = digest_response(
        username="Mufasa",
        realm="http-auth@example.org",
        password="Circle of Life",
        method="GET",
        uri="/dir/index.html",
        nonce=credentials.nonce,
        nc="00000001",
        cnonce=credentials.cnonce,
    )
    assert expected == "8ca523f5e9506fed4657c9700eebdbec"


def test_a_response_in_upper_case_hex_matches_too() -> None:
    credentials = parse_authorization(RFC2617.replace("6629fae4", "6629FAE4"))
    assert isinstance(credentials, DigestCredentials)
    assert digest_matches(credentials, password="Circle Of Life", method="GET")


def test_quoted_strings_unescape_and_names_are_case_insensitive() -> None:
    params = auth_params(r'Realm="a \"b\" \\c", NC=00000001 ,  x = "y,z",')
    assert params == {"realm": 'a "b" \\c', "nc": "00000001", "x": "y,z"}


@pytest.mark.parametrize(
    "header",
    [
        'Digest username="a", realm="r", nonce="n", uri="/"',  # no response
        'Digest username="a" realm="r"',  # no comma
        'Digest username="a, realm="r"',  # unterminated
        'Digest username="a", username="b", realm="r", nonce="n", uri="/", response="x"',
        "Digest =x",
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "Bearer abc",
        "",
    ],
)
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(MalformedAuthorizationError):
        parse_authorization(header)


def test_basic_credentials_split_at_the_first_colon() -> None:
    token = base64.b64encode("cpé:pa:ss".encode()).decode()
    assert parse_authorization(f"basic  {token}") == BasicCredentials("cpé", "pa:ss")


def test_username_star_is_decoded() -> None:
    header = (
        'Digest username*=UTF-8\'\'J%C3%A4s%C3%B8n, realm="r", nonce="n", uri="/", response="x"'
    )
    credentials = parse_authorization(header)
    assert isinstance(credentials, DigestCredentials)
    assert credentials.username == "Jäsøn"


def _signed(password: str = "secret", **changes: str) -> DigestCredentials:
    nonce = issue_nonce(KEY, at=1000, salt=SALT)
    fields = {
        "username": "cpe",
        "realm": "acs",
        "nonce": nonce,
        "uri": "/cwmp",
        "qop": "auth",
        "nc": "00000001",
        "cnonce": "abc",
        "algorithm": "MD5",
        "opaque": OPAQUE,
        **changes,
    }
    response = digest_response(
        username=fields["username"],
        realm=fields["realm"],
        password=password,
        method="POST",
        uri=fields["uri"],
        nonce=fields["nonce"],
        nc=fields["nc"],
        cnonce=fields["cnonce"],
        qop=fields["qop"],
    )
    return DigestCredentials(**fields, response=response)


def test_a_well_formed_digest_for_this_path_and_realm_has_no_problem() -> None:
    credentials = _signed()
    assert digest_problem(credentials, realm="acs", path="/cwmp", opaque=OPAQUE) is None
    assert digest_matches(credentials, password="secret", method="POST")
    absolute = _signed(uri="http://acs.example:8080/cwmp")
    assert digest_problem(absolute, realm="acs", path="/cwmp", opaque=OPAQUE) is None


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"realm": "other"}, "wrong realm"),
        ({"uri": "/elsewhere"}, "uri is not the request's"),
        ({"algorithm": "SHA-256"}, "algorithm not offered"),
        ({"opaque": "0" * 32}, "wrong opaque"),
        ({"qop": ""}, "qop=auth with a cnonce needed"),
        ({"qop": "auth-int"}, "qop=auth with a cnonce needed"),
        ({"cnonce": ""}, "qop=auth with a cnonce needed"),
        ({"nc": "1"}, "nc is not 8 hex digits above 0"),
        ({"nc": "00000000"}, "nc is not 8 hex digits above 0"),
        ({"nc": "0000000g"}, "nc is not 8 hex digits above 0"),
    ],
)
def test_digest_directives_the_acs_did_not_offer_are_refused(
    changes: dict[str, str], problem: str
) -> None:
    credentials = _signed(**changes)
    assert digest_problem(credentials, realm="acs", path="/cwmp", opaque=OPAQUE) == problem


def test_the_legacy_form_without_qop_is_refused_even_with_the_right_response() -> None:
    nonce = issue_nonce(KEY, at=1000, salt=SALT)
    ha1 = http_auth.md5_hex("cpe:acs:secret")
    legacy = http_auth.md5_hex(f"{ha1}:{nonce}:{http_auth.md5_hex('POST:/cwmp')}")
    header = (
        f'Digest username="cpe", realm="acs", nonce="{nonce}", uri="/cwmp", response="{legacy}"'
    )
    credentials = parse_authorization(header)
    assert isinstance(credentials, DigestCredentials)
    assert digest_problem(credentials, realm="acs", path="/cwmp", opaque=OPAQUE) is not None


def test_a_missing_opaque_is_accepted() -> None:
    credentials = _signed(opaque="")
    assert digest_problem(credentials, realm="acs", path="/cwmp", opaque=OPAQUE) is None


def test_nonces_are_valid_until_their_ttl_then_stale() -> None:
    nonce = issue_nonce(KEY, at=1000, salt=SALT)
    assert len(nonce) == 56 and http_auth.nonce_issued_at(nonce) == 1000
    assert check_nonce([KEY], nonce, now=1000, ttl=300) is NonceCheck.VALID
    assert check_nonce([KEY], nonce, now=1299.9, ttl=300) is NonceCheck.VALID
    assert check_nonce([KEY], nonce, now=1300, ttl=300) is NonceCheck.STALE


def test_nonces_of_another_key_forged_or_from_the_future_are_invalid() -> None:
    nonce = issue_nonce(KEY, at=1000, salt=SALT)
    assert check_nonce([OTHER_KEY], nonce, now=1000, ttl=300) is NonceCheck.INVALID
    assert check_nonce([OTHER_KEY, KEY], nonce, now=1000, ttl=300) is NonceCheck.VALID
    later = f"{2000:08x}" + nonce[8:]
    assert check_nonce([KEY], later, now=2000, ttl=300) is NonceCheck.INVALID
    assert check_nonce([KEY], "dcd98b7102dd2f0e8b11d0f600bfb0c093", now=0, ttl=9) is (
        NonceCheck.INVALID
    )
    future = issue_nonce(KEY, at=1100, salt=SALT)
    assert check_nonce([KEY], future, now=1000, ttl=300) is NonceCheck.INVALID


def test_two_nonces_of_the_same_second_differ_by_their_salt() -> None:
    assert issue_nonce(KEY, at=1, salt=SALT) != issue_nonce(KEY, at=1, salt=bytes(8))


def test_the_digest_challenge_offers_md5_with_qop_auth() -> None:
    challenge = digest_challenge(realm='a"b', nonce="n1", opaque="o1")
    assert challenge == ('Digest realm="a\\"b", qop="auth", algorithm=MD5, nonce="n1", opaque="o1"')
    stale = digest_challenge(realm="acs", nonce="n", opaque="o", stale=True)
    assert stale.endswith(", stale=true")
    scheme, _, rest = stale.partition(" ")
    assert scheme == "Digest"
    assert auth_params(rest)["stale"] == "true"


def test_the_basic_challenge_names_the_realm_and_utf8() -> None:
    assert http_auth.basic_challenge("acs") == 'Basic realm="acs", charset="UTF-8"'
