"""How virtual CPEs answer the ACS's 401 (TR-069 3.4.4): Digest (MD5, qop=auth) or Basic,
with shared credentials or ones derived per CPE like the ACS's credential rule."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from acs.domain import http_auth
from acs.domain.cwmp_credentials import Identity, derived_password, rule_username


@dataclass(frozen=True)
class Login:
    """The virtual CPEs' credentials: one pair for all, or `rule` and `secret` deriving
    each CPE's own (as `ACS_CWMP_CREDENTIAL_RULE` and `_SECRET` do)."""

    username: str = ""
    password: str = ""
    rule: str = ""
    secret: str = ""

    def credentials(self, identity: Identity) -> tuple[str, str]:
        """The user name and password of one CPE."""
        if self.rule and self.secret:
            username = rule_username(self.rule, identity)
            return username, derived_password(self.secret, username)
        return self.username, self.password

    def authorization(self, challenge: str, identity: Identity, path: str) -> str | None:
        """The Authorization answering a WWW-Authenticate challenge to `POST path`, None
        for a scheme other than Digest and Basic (or a challenge that cannot be read)."""
        username, password = self.credentials(identity)
        scheme, _, rest = challenge.strip().partition(" ")
        if scheme.lower() == "basic":
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            return f"Basic {token}"
        if scheme.lower() != "digest":
            return None
        try:
            params = http_auth.auth_params(rest)
        except http_auth.MalformedAuthorizationError:
            return None
        realm, nonce, cnonce = (
            params.get("realm", ""),
            params.get("nonce", ""),
            secrets.token_hex(8),
        )
        response = http_auth.digest_response(username=username, realm=realm, password=password,
                                             method="POST", uri=path, nonce=nonce,
                                             nc="00000001", cnonce=cnonce)  # fmt: skip
        q = http_auth.quoted
        header = (
            f"Digest username={q(username)}, realm={q(realm)}, nonce={q(nonce)}, uri={q(path)}, "
            f"algorithm=MD5, qop=auth, nc=00000001, cnonce={q(cnonce)}, response={q(response)}"
        )
        return header + (f", opaque={q(params['opaque'])}" if "opaque" in params else "")
