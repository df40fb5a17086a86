"""The settings of a simulation run, and the checks on the command line's values."""

from __future__ import annotations

import argparse
import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar
from urllib.parse import urlsplit

from acs.loadgen.cwmp_login import Login
from acs.loadgen.task_mix import parse_task_mix

DEFAULT_CONCURRENCY: Final = 256
MAX_DEVICES: Final = 10_000_000

_T = TypeVar("_T")


class ConfigError(ValueError):
    """A command-line value the simulator refuses."""


@dataclass(frozen=True)
class Target:
    """A loopback HTTP URL split for the client: host, port, path, and the base URL."""

    host: str
    port: int
    path: str
    base: str


def loopback_url(url: str) -> Target:
    """Accept only http:// URLs on a loopback address (localhost, 127.0.0.0/8, ::1)."""
    try:
        parts = urlsplit(url)
        port = parts.port or 80
    except ValueError as exc:
        raise ConfigError(f"not a URL: {url!r} ({exc})") from None
    if parts.scheme != "http":
        raise ConfigError(f"only http:// URLs are supported, not {url!r}")
    host = parts.hostname or ""
    if not _is_loopback(host):
        raise ConfigError(
            f"refusing {url!r}: the simulator only targets loopback addresses "
            "(localhost, 127.0.0.0/8, ::1)"
        )
    authority = f"[{host}]" if ":" in host else host
    base = f"http://{authority}:{port}"
    return Target(
        host, port, (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), base
    )


def _is_loopback(host: str) -> bool:
    """Whether a host name or address is loopback."""
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{text!r} is not an integer") from None
    if not 1 <= value <= MAX_DEVICES:
        raise ConfigError(f"{value} must be between 1 and {MAX_DEVICES}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{text!r} must be a finite number > 0")
    return value


def argument(parse: Callable[[str], _T]) -> Callable[[str], _T]:
    """An argparse `type=` that reports the parser's own message (exit code 2)."""

    def convert(text: str) -> _T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


@dataclass(frozen=True)
class SimulationConfig:
    """Everything a run needs, checked."""

    target: Target
    devices: int
    rate: float
    duration: float
    data_model: Path | None = None
    task_mix: dict[str, float] = field(default_factory=dict)
    as_json: bool = False
    server_pids: tuple[int, ...] = ()
    status_base: str | None = None
    seed: int = 0
    concurrency: int = DEFAULT_CONCURRENCY
    quiet: bool = False
    registered: bool = False
    """The CPEs are already known to the ACS: their first Inform is periodic, not a bootstrap."""
    api_key: str | None = None
    """The API key sent as `Authorization: Bearer` with the REST calls (tasks, status)."""
    login: Login | None = None
    """The CPEs' credentials for /cwmp (None: they answer no challenge)."""

    @property
    def progress(self) -> bool:
        """Whether to draw the progress line on stderr."""
        return not (self.quiet or self.as_json)


def config_from_args(args: argparse.Namespace) -> SimulationConfig:
    """The run's settings from parsed `acs simulate` arguments."""
    status: Target | None = args.status_url
    return SimulationConfig(
        target=args.url,
        devices=args.devices,
        rate=args.rate,
        duration=args.duration,
        data_model=args.data_model,
        task_mix=args.task_mix or {},
        as_json=args.json,
        server_pids=tuple(args.server_pid or ()),
        status_base=None if status is None else status.base + status.path.rstrip("/"),
        seed=args.seed,
        concurrency=args.concurrency,
        quiet=args.quiet,
        registered=args.registered,
        api_key=getattr(args, "api_key", None),
        login=login_from_args(args),
    )


def login_from_args(args: argparse.Namespace) -> Login | None:
    """The CPEs' credentials: `--cwmp-username/--cwmp-password`, or each CPE's own from
    `--cwmp-credential-rule` and `--cwmp-credential-secret`."""
    login = Login(
        username=getattr(args, "cwmp_username", None) or "",
        password=getattr(args, "cwmp_password", None) or "",
        rule=getattr(args, "cwmp_credential_rule", None) or "",
        secret=getattr(args, "cwmp_credential_secret", None) or "",
    )
    if bool(login.rule) != bool(login.secret):
        raise ConfigError("--cwmp-credential-rule and --cwmp-credential-secret go together")
    return login if login.username or login.rule else None


task_mix_argument = argument(parse_task_mix)
url_argument = argument(loopback_url)
