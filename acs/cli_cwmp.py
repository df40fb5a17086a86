"""`acs cwmp-password`, and the checks `acs serve` makes of the CPE authentication settings."""

from __future__ import annotations

import argparse
import logging

from acs.adapters.settings import Settings
from acs.application.cwmp_auth import settings_problems
from acs.domain.cwmp_credentials import (
    CredentialRuleError,
    checked_rule,
    derived_password,
    identity_of,
    rule_username,
)

log = logging.getLogger("acs")


def check_cwmp_auth(settings: Settings, *, tls: bool = False) -> None:
    """Refuse unsound CPE authentication settings; warn once when it is off, or when Basic
    cannot work on a server that speaks plain HTTP."""
    problems = settings_problems(settings)
    if problems:
        raise SystemExit("invalid setting: " + "; ".join(problems))
    if settings.cwmp_auth == "none":
        log.warning(
            "CPE authentication is off (ACS_CWMP_AUTH=none): anyone who reaches /cwmp can "
            "inform as any device; set ACS_CWMP_AUTH=digest"
        )
    elif settings.cwmp_auth == "basic" and not (tls or settings.cwmp_allow_basic_without_tls):
        log.warning(
            "ACS_CWMP_AUTH=basic on plain HTTP: CPEs are refused (403) unless a proxy that "
            "terminates TLS sends X-Forwarded-Proto: https (or ACS_CWMP_ALLOW_BASIC_WITHOUT_TLS)"
        )


def derived_credentials(device: str, settings: Settings) -> tuple[str, str]:
    """The user name and password ACS_CWMP_CREDENTIAL_RULE and _SECRET give a device (by
    its id, when the rule is set), or the password they give a user name."""
    if not settings.cwmp_credential_secret:
        raise SystemExit("ACS_CWMP_CREDENTIAL_SECRET is not set")
    username = device
    identity = identity_of(device)
    if settings.cwmp_credential_rule and identity is not None:
        try:
            username = rule_username(checked_rule(settings.cwmp_credential_rule), identity)
        except CredentialRuleError as exc:
            raise SystemExit(f"invalid setting: ACS_CWMP_CREDENTIAL_RULE: {exc}") from None
    return username, derived_password(settings.cwmp_credential_secret, username)


def cwmp_password(args: argparse.Namespace, settings: Settings) -> None:
    """Print a CPE's derived ManagementServer.Username and .Password."""
    username, password = derived_credentials(args.device, settings)
    print(f"username: {username}")
    print(f"password: {password}")


def cwmp_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `cwmp-password` sub-command: a CPE's derived credentials, for its provisioning."""
    cmd = commands.add_parser(
        "cwmp-password",
        help="print a CPE's derived CWMP user name and password",
        description="A device id (202BC1-BM632w-SN1) gives the user name of "
        "ACS_CWMP_CREDENTIAL_RULE and its password; anything else is taken as the user name.",
    )
    cmd.add_argument("device", metavar="DEVICE-ID-or-username")
    cmd.set_defaults(func=cwmp_password)


def cwmp_login_arguments(simulate: argparse.ArgumentParser) -> None:
    """`acs simulate`'s CPE credentials, for an ACS that challenges /cwmp."""
    simulate.add_argument("--cwmp-username", metavar="USER", help="every CPE's user name")
    simulate.add_argument("--cwmp-password", metavar="PASSWORD", help="every CPE's password")
    simulate.add_argument(
        "--cwmp-credential-rule",
        metavar="RULE",
        help="derive each CPE's user name, as ACS_CWMP_CREDENTIAL_RULE ({oui}-{serial}…)",
    )
    simulate.add_argument(
        "--cwmp-credential-secret",
        metavar="SECRET",
        help="derive each CPE's password, as ACS_CWMP_CREDENTIAL_SECRET",
    )
