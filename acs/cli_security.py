"""The TLS flags of `acs serve` and `acs secrets rotate`, the key rotation of sealed passwords."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from acs.adapters.settings import Settings
from acs.adapters.tls import Tls, TlsConfigError, checked_tls

log = logging.getLogger("acs")

Database = Callable[[Settings], AbstractContextManager[str]]
"""How the commands find their database (`acs.cli.database`)."""

_TLS_VARIABLES = {
    "tls_cert": "ACS_TLS_CERT",
    "tls_key": "ACS_TLS_KEY",
    "tls_client_ca": "ACS_TLS_CLIENT_CA",
}


def tls_arguments(serve: argparse.ArgumentParser) -> None:
    """`acs serve --tls-cert FILE --tls-key FILE [--tls-client-ca FILE]`."""
    serve.add_argument(
        "--tls-cert", type=Path, metavar="FILE", help="PEM certificate: serve HTTPS (ACS_TLS_CERT)"
    )
    serve.add_argument("--tls-key", type=Path, metavar="FILE", help="its PEM key (ACS_TLS_KEY)")
    serve.add_argument(
        "--tls-client-ca",
        type=Path,
        metavar="FILE",
        help="require on /cwmp client certificates signed by this CA (ACS_TLS_CLIENT_CA)",
    )


def serve_tls(args: argparse.Namespace, settings: Settings) -> Tls | None:
    """The TLS files of `acs serve`, each flag over its variable, checked (exits with the
    reason). `args` and the environment the workers read are set to the files in use."""
    for field, variable in _TLS_VARIABLES.items():
        path: Path | None = getattr(args, field) or getattr(settings, field)
        setattr(args, field, path)
        if path is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = str(path)
    try:
        tls = checked_tls(args.tls_cert, args.tls_key, args.tls_client_ca)
    except TlsConfigError as exc:
        raise SystemExit(f"acs serve: {exc}") from None
    if tls is not None and (settings.public_url or "").startswith("http://"):
        log.warning("ACS_PUBLIC_URL %s is http:// but this server speaks HTTPS only: "
                    "the transfer URLs CPEs get use it", settings.public_url)  # fmt: skip
    return tls


def rotate_secrets(settings: Settings, database: Database) -> None:
    """Seal again with the newest key what older keys sealed; print what still needs them."""
    from psycopg_pool import ConnectionPool  # noqa: PLC0415

    from acs.adapters.event_store import EventStore, datastore_for  # noqa: PLC0415
    from acs.adapters.migrations import migrate  # noqa: PLC0415
    from acs.adapters.secrets import SecretBox, secret_keys  # noqa: PLC0415
    from acs.adapters.webhook_store import WebhookStore  # noqa: PLC0415
    from acs.application.key_rotation import KeyRotation  # noqa: PLC0415
    from acs.application.webhooks import topics_by_type  # noqa: PLC0415

    if not settings.secret_key:
        raise SystemExit(
            "ACS_SECRET_KEY is not set: the only key is the one the database keeps (table "
            "acs_keys). Set ACS_SECRET_KEY=NEW-KEY,THAT-KEY, restart the ACS, then rotate."
        )
    with database(settings) as url:
        migrate(url)
        store = EventStore(datastore_for(url, pool_size=2))
        try:
            with ConnectionPool(url, min_size=1, max_size=2, kwargs={"autocommit": True}) as pool:
                box = SecretBox(secret_keys(settings.secret_key, pool))
                report = KeyRotation(store, WebhookStore(pool, topics_by_type()), box).run()
        finally:
            store.close()
    print("\n".join(report.lines()))
    if report.unreadable:
        raise SystemExit(1)


def secrets_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database: Database
) -> None:
    """`acs secrets rotate`."""
    cmd = commands.add_parser("secrets", help="manage the keys that seal stored passwords")
    actions = cmd.add_subparsers(dest="action", required=True)
    rotate = actions.add_parser(
        "rotate", help="seal stored passwords again with the newest key of ACS_SECRET_KEY"
    )
    rotate.set_defaults(func=lambda _, settings: rotate_secrets(settings, database))
