"""`acs apikey …` and `acs user …`: operators' credentials from the command line, and what
`acs serve` does with them at start (the bootstrap key, the first administrator)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from psycopg_pool import ConnectionPool

from acs.adapters.access_store import AccessStore, NameTakenError
from acs.adapters.migrations import migrate
from acs.adapters.settings import Settings
from acs.application.access import FIRST_ADMIN, Access
from acs.domain.access import AccessError, Role
from acs.domain.passwords import PasswordError

Database = Callable[[Settings], AbstractContextManager[str]]
"""How the commands find their database (`acs.cli.database`)."""

FIRST_RUN = """
==============================================================================
  First start: no API key and no user existed, so an administrator was made.

  Sign in at   {url}
  user         {user}
  password     {password}

  This password is shown only this once: keep it.
  For scripts and Prometheus, create API keys (each printed once):
      acs apikey create --name NAME --role viewer|operator|admin
  and send them as "Authorization: Bearer <key>".
==============================================================================
"""

_ROLES = [role.value for role in Role]


def cli_actor() -> str:
    """Who a command-line change is recorded as: `cli:<system user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def _access(database: Database, settings: Settings) -> Iterator[Access]:
    with database(settings) as url:
        migrate(url)
        pool = ConnectionPool(url, min_size=1, max_size=1, kwargs={"autocommit": True})
        with pool:
            yield Access(AccessStore(pool))


@contextmanager
def _reported(command: str) -> Iterator[None]:
    """Refusals end the command with their reason on stderr (exit status 1)."""
    try:
        yield
    except (AccessError, PasswordError, NameTakenError) as exc:
        raise SystemExit(f"acs {command}: {exc}") from None


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def apikey_create(args: argparse.Namespace, settings: Settings, database: Database) -> None:
    """Create a key and print it, alone on stdout: it is never shown again."""
    with _reported("apikey create"), _access(database, settings) as access:
        made = access.create_key(args.name, args.role, cli_actor())
    print(made.key, flush=True)


def apikey_list(_: argparse.Namespace, settings: Settings, database: Database) -> None:
    """Print every key: name, role, when and by whom it was created, revoked, last used."""
    with _access(database, settings) as access:
        keys = access.keys()
    print("name\trole\tcreated\tcreated_by\trevoked\tlast_used")
    for key in keys:
        print(f"{key.name}\t{key.role}\t{_when(key.created_at)}\t{key.created_by}\t"
              f"{_when(key.revoked_at)}\t{_when(key.last_used_at)}")  # fmt: skip


def apikey_revoke(args: argparse.Namespace, settings: Settings, database: Database) -> None:
    """Revoke a key by name."""
    with _access(database, settings) as access:
        revoked = access.revoke_key(args.name, cli_actor())
    if not revoked:
        raise SystemExit(f"acs apikey revoke: no active key {args.name}")
    print(f"key {args.name} revoked")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise SystemExit("acs user create: the passwords differ")
    return first


def user_create(args: argparse.Namespace, settings: Settings, database: Database) -> None:
    """Create a dashboard user; the password comes from a prompt or stdin."""
    password = _password(args.password_stdin)
    with _reported("user create"), _access(database, settings) as access:
        user = access.create_user(args.name, args.role, password, cli_actor())
    print(f"user {user.name} created with the role {user.role}")


def user_list(_: argparse.Namespace, settings: Settings, database: Database) -> None:
    """Print every user: name, role, when and by whom it was created."""
    with _access(database, settings) as access:
        users = access.users()
    print("name\trole\tcreated\tcreated_by")
    for user in users:
        print(f"{user.name}\t{user.role}\t{_when(user.created_at)}\t{user.created_by}")


def user_delete(args: argparse.Namespace, settings: Settings, database: Database) -> None:
    """Delete a user (their sessions end)."""
    with _access(database, settings) as access:
        deleted = access.delete_user(args.name, cli_actor())
    if not deleted:
        raise SystemExit(f"acs user delete: no user {args.name}")
    print(f"user {args.name} deleted")


def access_parsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database: Database
) -> None:
    """The `apikey` and `user` sub-commands."""

    def bound(
        command: Callable[[argparse.Namespace, Settings, Database], None],
    ) -> Callable[[argparse.Namespace, Settings], None]:
        return lambda args, settings: command(args, settings, database)

    keys = commands.add_parser("apikey", help="create, list and revoke API keys")
    key_actions = keys.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True, help="the key's name (recorded as key:NAME)")
    create.add_argument("--role", required=True, choices=_ROLES, help="what the key may do")
    create.set_defaults(func=bound(apikey_create))
    key_actions.add_parser("list", help="list the keys").set_defaults(func=bound(apikey_list))
    revoke = key_actions.add_parser("revoke", help="revoke a key")
    revoke.add_argument("name", metavar="NAME")
    revoke.set_defaults(func=bound(apikey_revoke))

    users = commands.add_parser("user", help="create, list and delete dashboard users")
    user_actions = users.add_subparsers(dest="action", required=True)
    add = user_actions.add_parser("create", help="create a user (password prompted)")
    add.add_argument("--name", required=True, help="the user's name (recorded as user:NAME)")
    add.add_argument("--role", required=True, choices=_ROLES, help="what the user may do")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=bound(user_create))
    user_actions.add_parser("list", help="list the users").set_defaults(func=bound(user_list))
    remove = user_actions.add_parser("delete", help="delete a user")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(func=bound(user_delete))


def login_url(args: argparse.Namespace) -> str:
    """Where `acs serve` can be signed in to, as a person on the same machine would type it."""
    scheme = "https" if getattr(args, "tls_cert", None) else "http"
    host = "localhost" if args.host in ("", "0.0.0.0", "::") else args.host  # noqa: S104
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{args.port}/login"


def prepare_access(url: str, settings: Settings, login: str) -> None:
    """At `acs serve`'s start: ensure `ACS_BOOTSTRAP_API_KEY`, then, on a database without
    any key or user, create the first administrator and print how to sign in (once)."""
    with ConnectionPool(url, min_size=1, max_size=1, kwargs={"autocommit": True}) as pool:
        access = Access(AccessStore(pool))
        if settings.bootstrap_api_key:
            try:
                access.ensure_bootstrap_key(settings.bootstrap_api_key)
            except AccessError as exc:
                raise SystemExit(f"ACS_BOOTSTRAP_API_KEY: {exc}") from None
        password = access.first_admin("acs serve")
    if password is not None:
        print(FIRST_RUN.format(url=login, user=FIRST_ADMIN, password=password), flush=True)
