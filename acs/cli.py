"""The `acs` command: serve, migrate, projections rebuild, simulate, replay, apikey, user,
config reference."""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from importlib import metadata
from pathlib import Path

from acs.adapters import logs
from acs.adapters.embedded_postgres import EmbeddedPostgres
from acs.adapters.settings import Settings, settings_from_env
from acs.adapters.tls import Tls
from acs.cli_access import access_parsers, login_url, prepare_access
from acs.cli_cwmp import check_cwmp_auth, cwmp_login_arguments, cwmp_parser
from acs.cli_reference import config_parser
from acs.cli_security import secrets_parser, serve_tls, tls_arguments
from acs.loadgen.config import (
    argument,
    positive_float,
    positive_int,
    task_mix_argument,
    url_argument,
)

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
    """Apply migrations and serve HTTP (HTTPS with a certificate) until SIGTERM or SIGINT,
    which stop it gracefully (`adapters/server.py`), the embedded PostgreSQL with it."""
    tls = serve_tls(args, settings)
    check_cwmp_auth(settings, tls=tls is not None)
    # Before the server takes the signals over, SIGTERM stops like Ctrl-C, so that the
    # embedded PostgreSQL is stopped too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _serve(args, settings, tls)
    except KeyboardInterrupt:
        log.info("stopped")


def _serve(args: argparse.Namespace, settings: Settings, tls: Tls | None) -> None:
    """The database, migrated and prepared, then the server until it has stopped."""
    import uvicorn  # noqa: PLC0415 - only the serve command needs the server

    from acs.adapters.http_protocol import BoundedHttpToolsProtocol  # noqa: PLC0415
    from acs.adapters.metrics_dir import shared_metrics_dir  # noqa: PLC0415
    from acs.adapters.migrations import migrate  # noqa: PLC0415
    from acs.adapters.server import run  # noqa: PLC0415

    with database(settings) as url, shared_metrics_dir():
        for name in migrate(url):
            log.info("migration %s applied", name)
        prepare_access(url, settings, login_url(args))
        os.environ["ACS_DATABASE_URL"] = url  # the workers read it
        scheme = "https" if tls else "http"
        log.info("serving on %s://%s:%d with %d worker(s)", scheme, args.host, args.port,
                 args.workers)  # fmt: skip
        if tls is not None and tls.client_ca is not None:
            log.info("/cwmp requires client certificates signed by %s", tls.client_ca)
        config = uvicorn.Config(
            "acs.api.app:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=logs.logging_config(settings.log_format, logs.log_level()),
            timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout),
            http=BoundedHttpToolsProtocol,
            **(tls.uvicorn_options() if tls else {}),
        )
        run(config, grace=settings.shutdown_timeout)


def migrate_command(args: argparse.Namespace, settings: Settings) -> None:
    """Apply pending migrations; with `--check`, only tell whether any is pending (exit 1)
    or the database cannot be reached (exit 2)."""
    import psycopg  # noqa: PLC0415

    from acs.adapters.migrations import migrate, unapplied  # noqa: PLC0415

    with database(settings) as url:
        if args.check:
            try:
                waiting = unapplied(url)
            except psycopg.OperationalError as exc:
                print(f"acs migrate --check: {exc}".rstrip(), file=sys.stderr)
                raise SystemExit(2) from None
            if waiting:
                print("pending migrations:", *waiting, sep="\n")
                raise SystemExit(1)
            print("database is up to date")
            return
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


def replay(args: argparse.Namespace, settings: Settings) -> None:
    """Print a device's history as a timeline, then its parameters at the end."""
    from acs.adapters.event_store import EventStore, datastore_for  # noqa: PLC0415
    from acs.adapters.migrations import migrate  # noqa: PLC0415
    from acs.application.history import History  # noqa: PLC0415
    from acs.domain.device import DeviceNotFoundError  # noqa: PLC0415

    with database(settings) as url:
        migrate(url)
        store = EventStore(datastore_for(url, pool_size=1))
        try:
            for text in History(store).report(args.device_id, args.until):
                print(text)
        except DeviceNotFoundError:
            raise SystemExit(f"no device {args.device_id}") from None
        finally:
            store.close()


def moment(text: str) -> datetime:
    """An ISO 8601 time with its time zone, for `--until`."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone: {text}Z or {text}+02:00")
    return at


def replay_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `replay` sub-command: a device's history as a readable timeline."""
    cmd = commands.add_parser("replay", help="print a device's history as a timeline")
    cmd.add_argument("device_id", metavar="DEVICE-ID", help="the device id, as the API shows it")
    cmd.add_argument(
        "--until", type=moment, metavar="TIME", help="stop at this ISO 8601 time (with zone)"
    )
    cmd.set_defaults(func=replay)


def simulate(args: argparse.Namespace, _: Settings) -> None:
    """Run virtual CPEs against a local ACS and print the summary."""
    from acs.loadgen.config import ConfigError, config_from_args  # noqa: PLC0415
    from acs.loadgen.run import simulate as run_simulation  # noqa: PLC0415

    if args.api_key is None:
        args.api_key = os.environ.get("ACS_API_KEY")
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        raise SystemExit(f"acs simulate: {exc}") from None
    code = run_simulation(config)
    if code:
        raise SystemExit(code)


def simulate_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `simulate` sub-command: a load generator of virtual CPEs."""
    sim = commands.add_parser("simulate", help="load-test a local ACS with virtual CPEs")
    sim.add_argument("--url", required=True, type=url_argument, help="the ACS's loopback CWMP URL")
    sim.add_argument(
        "--devices", required=True, type=argument(positive_int), metavar="N", help="virtual CPEs"
    )
    sim.add_argument(
        "--rate", required=True, type=argument(positive_float), metavar="R", help="sessions/s"
    )
    sim.add_argument(
        "--duration", required=True, type=argument(positive_float), metavar="S", help="seconds"
    )
    sim.add_argument(
        "--data-model", type=Path, metavar="CSV", help="data model (default: Huawei BM632w)"
    )
    sim.add_argument(
        "--task-mix", type=task_mix_argument, metavar="SPEC", help="tasks/s: get_params=5,..."
    )
    sim.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    sim.add_argument(
        "--server-pid",
        type=int,
        action="extend",
        nargs="+",
        metavar="PID",
        help="sample the RSS of these processes and their descendants",
    )
    sim.add_argument(
        "--status-url", type=url_argument, metavar="URL", help="base URL of /api/status/..."
    )
    sim.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (0)")
    sim.add_argument(
        "--api-key",
        default=None,
        metavar="KEY",
        help="API key (operator role) for the REST calls (default: $ACS_API_KEY)",
    )
    sim.add_argument(
        "--concurrency",
        type=argument(positive_int),
        default=256,
        metavar="C",
        help="most sessions in flight (256)",
    )
    sim.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    cwmp_login_arguments(sim)
    sim.add_argument(
        "--registered",
        action="store_true",
        help="the CPEs are already registered (an earlier run, a populated store): "
        "their first Inform is 2 PERIODIC, not 0 BOOTSTRAP",
    )
    sim.set_defaults(func=simulate)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(prog="acs", description="TR-069 Auto Configuration Server")
    cli.add_argument("--version", action="version", version=f"acs {package_version()}")
    commands = cli.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve /cwmp, /api and the dashboard")
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (0.0.0.0)")  # noqa: S104
    run.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    run.add_argument("--workers", type=int, default=1, help="worker processes (1)")
    tls_arguments(run)
    run.set_defaults(func=serve)
    migrations = commands.add_parser("migrate", help="apply database migrations")
    migrations.add_argument(
        "--check",
        action="store_true",
        help="apply nothing: exit 0 if the database is up to date, 1 and list what is pending "
        "if not, 2 if it cannot be reached",
    )
    migrations.set_defaults(func=migrate_command)
    projections = commands.add_parser("projections", help="manage the read model")
    actions = projections.add_subparsers(dest="action", required=True)
    actions.add_parser("rebuild", help="rebuild the read model from the events").set_defaults(
        func=rebuild
    )
    simulate_parser(commands)
    replay_parser(commands)
    access_parsers(commands, database)
    secrets_parser(commands, database)
    cwmp_parser(commands)
    config_parser(commands)
    return cli


def package_version() -> str:
    """The installed package's version (`0+unknown` when run from a tree never installed)."""
    try:
        return metadata.version("acs")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `acs` console script."""
    args = parser().parse_args(argv)
    settings = settings_from_env()
    logs.configure(settings.log_format, logs.log_level())
    args.func(args, settings)


if __name__ == "__main__":
    main(sys.argv[1:])
