"""Which credentials may authenticate a CPE's session (TR-069 3.4.4): its own, a derived
pair, or the shared fallback; and the rule that derives a per-device pair.

A derived pair is `username = rule.format(oui=…, product_class=…, serial=…)` over the
Inform's DeviceId, and `password = hex(HMAC-SHA256(secret, username))`, so that a factory
can provision each CPE with its own password without the ACS storing any.
"""

from __future__ import annotations

import hashlib
import hmac
from string import Formatter
from urllib.parse import unquote

import msgspec

from acs.domain.device_id import device_id as public_id

PLACEHOLDERS = ("oui", "product_class", "serial")
"""What a credential rule may use: the Inform's DeviceId fields, as the CPE sends them."""
MAX_LENGTH = 256
"""Longest user name or password (TR-098 ManagementServer.Username and .Password)."""


class CredentialRuleError(ValueError):
    """A credential rule that cannot derive a user name per device."""


class CredentialsError(ValueError):
    """A user name or password a CPE could not send."""


class Identity(msgspec.Struct, frozen=True):
    """A CPE's DeviceId fields (TR-069 A.3.3.1)."""

    oui: str
    product_class: str
    serial: str


def checked_rule(rule: str) -> str:
    """The rule if it names only known placeholders, `{serial}` among them."""
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in Formatter().parse(rule) if name]
    except ValueError as exc:
        raise CredentialRuleError(f"credential rule {rule!r}: {exc}") from exc
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise CredentialRuleError(f"credential rule {rule!r}: {{{name}}} is not one of {known}")
    if "serial" not in {name for name, _, _ in fields}:
        raise CredentialRuleError(f"credential rule {rule!r} must use {{serial}}")
    return rule


def rule_username(rule: str, identity: Identity) -> str:
    """The user name a rule gives a device."""
    return rule.format(
        oui=identity.oui, product_class=identity.product_class, serial=identity.serial
    )


def derived_password(secret: str, username: str) -> str:
    """A device's own password: hex HMAC-SHA256 of its user name under the secret."""
    return hmac.new(secret.encode(), username.encode(), hashlib.sha256).hexdigest()


def identity_of(device_id: str) -> Identity | None:
    """The DeviceId behind a public device id (`OUI-ProductClass-Serial`, percent-encoded
    parts; `OUI-Serial`), or None if it is not one as the ACS writes them."""
    parts = device_id.split("-")
    if len(parts) not in (2, 3) or not all(parts):
        return None
    try:
        decoded = [unquote(p, errors="strict") for p in parts]
    except UnicodeDecodeError:
        return None
    identity = Identity(decoded[0], "", decoded[1]) if len(decoded) == 2 else Identity(*decoded)
    if public_id(identity.oui, identity.product_class, identity.serial) != device_id:
        return None
    return identity


def checked_credentials(username: str, password: str) -> tuple[str, str]:
    """A pair a CPE can send with Basic or Digest: no ':' in the user name (RFC 7617), no
    control characters, neither empty, at most 256 characters each."""
    for what, value in (("username", username), ("password", password)):
        if not value or len(value) > MAX_LENGTH:
            raise CredentialsError(f"{what} must be 1 to {MAX_LENGTH} characters")
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise CredentialsError(f"{what} must not hold control characters")
    if ":" in username:
        raise CredentialsError("username must not hold ':'")
    return username, password


class CredentialSources(msgspec.Struct, frozen=True, kw_only=True):
    """The configured sources besides a device's own credentials."""

    rule: str = ""
    secret: str = ""
    shared_username: str = ""
    shared_password: str = ""

    def accepted(self, identity: Identity, own: tuple[str, str] | None) -> dict[str, str]:
        """The user names (and their passwords) that authenticate this device: its own
        credentials alone when it has some, else the derived pair and the shared one."""
        if own is not None:
            return {own[0]: own[1]}
        accepted: dict[str, str] = {}
        if self.shared_username and self.shared_password:
            accepted[self.shared_username] = self.shared_password
        if self.rule and self.secret:
            username = rule_username(self.rule, identity)
            accepted[username] = derived_password(self.secret, username)
        return accepted
