"""The `acs` command: serve, migrate, projections rebuild."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from acs.adapters.embedded_postgres import EmbeddedPostgres
from acs.adapters.settings import Settings, settings_from_env

log = logging.getLogger("acs")


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The database URL: ACS_DATABASE_URL, or an embedded server started for the duration."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.data_dir)
    url = embedded.start()
    try:
        yield url
    finally:
        embedded.stop()


def serve(args: argparse.Namespace, settings: Settings) -> None:
    """Apply migrations and serve HTTP until interrupted."""
    import uvicorn  # noqa: PLC0415 - only the serve command needs the server

    from acs.adapters.migrations import migrate  # noqa: PLC0415

    with database(settings) as url:
        for name in migrate(url):
            log.info("migration %s applied", name)
        os.environ["ACS_DATABASE_URL"] = url  # the workers read it
        log.info("serving on http://%s:%d with %d worker(s)", args.host, args.port, args.workers)
        uvicorn.run(
            "acs.api.app:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            timeout_graceful_shutdown=10,
        )


def migrate_command(_: argparse.Namespace, settings: Settings) -> None:
    """Apply pending migrations."""
    from acs.adapters.migrations import migrate  # noqa: PLC0415

    with database(settings) as url:
        applied = migrate(url)
    print("\n".join(applied) if applied else "database is up to date")


def rebuild(_: argparse.Namespace, settings: Settings) -> None:
    """Drop the read model and rebuild it from every event."""
    from psycopg_pool import ConnectionPool  # noqa: PLC0415

    from acs.adapters.event_store import EventStore, datastore_for  # noqa: PLC0415
    from acs.adapters.migrations import migrate  # noqa: PLC0415
    from acs.projections.runner import ProjectionRunner  # noqa: PLC0415

    with database(settings) as url:
        migrate(url)
        store = EventStore(datastore_for(url, pool_size=2))
        with ConnectionPool(url, min_size=1, max_size=2, kwargs={"autocommit": True}) as pool:
            count = ProjectionRunner(store, pool, url).rebuild()
        store.close()
    print(f"read model rebuilt from {count} events")


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(prog="acs", description="TR-069 Auto Configuration Server")
    commands = cli.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve /cwmp, /api and the dashboard")
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (0.0.0.0)")  # noqa: S104
    run.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    run.add_argument("--workers", type=int, default=1, help="worker processes (1)")
    run.set_defaults(func=serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(
        func=migrate_command
    )
    projections = commands.add_parser("projections", help="manage the read model")
    actions = projections.add_subparsers(dest="action", required=True)
    actions.add_parser("rebuild", help="rebuild the read model from the events").set_defaults(
        func=rebuild
    )
    return cli


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `acs` console script."""
    logging.basicConfig(
        level=os.environ.get("ACS_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    args = parser().parse_args(argv)
    args.func(args, settings_from_env())


if __name__ == "__main__":
    main(sys.argv[1:])
