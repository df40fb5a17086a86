"""The CPE's file transfers: Downloads and Uploads it accepted, carried out after the session.

A transfer to an http(s) URL is real HTTP (a GET of the file, or a PUT of a generated one)
through an ``httpx`` transport, which a unit test can replace with ``httpx.MockTransport``;
without one, only loopback URLs are fetched. Any other URL is a simulated transfer that
succeeds without touching the network. The outcome becomes a TransferComplete (A.3.3.2).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal
from urllib.parse import urlsplit

import httpx

from tests.support.cpe_requests import TransferComplete
from tests.support.cpe_soap import fault_string

FIRMWARE: Final = "1 Firmware Upgrade Image"
CONFIG_FILE_TYPES: Final = ("1 Vendor Configuration File", "3 Vendor Configuration File")
LOG_FILE_TYPES: Final = ("2 Vendor Log File", "4 Vendor Log File")
FIRMWARE_HEADER: Final = "X-Firmware-Version"
USER_AGENT: Final = "acs-tests-cpe-simulator/1.0"


@dataclass(frozen=True)
class Transfer:
    """A Download (TR-069 A.3.2.8) or Upload (A.4.1.5) the CPE accepted."""

    kind: Literal["Download", "Upload"]
    command_key: str
    file_type: str
    url: str
    username: str = ""
    password: str = ""
    file_size: int = 0
    target_file_name: str = ""
    delay_seconds: int = 0
    success_url: str = ""
    failure_url: str = ""


@dataclass
class CompletedTransfer:
    """A transfer the CPE carried out, whose TransferComplete the ACS has yet to accept."""

    transfer: Transfer
    fault_code: int
    start_time: str
    complete_time: str
    http_status: int | None = None
    content: bytes = b""
    firmware_version: str | None = None
    reboots: bool = False
    announced: bool = False
    error: str = ""

    @property
    def succeeded(self) -> bool:
        """Whether the transfer worked (FaultCode 0)."""
        return self.fault_code == 0

    @property
    def events(self) -> list[str]:
        """The Inform events that report it: a reboot's 1 BOOT, M Download/Upload, 7 ..."""
        boot = ["1 BOOT"] if self.reboots and not self.announced else []
        report = self.transfer.kind == "Upload" or self.succeeded
        method = [f"M {self.transfer.kind}"] if report and not self.announced else []
        return [*boot, *method, "7 TRANSFER COMPLETE"]

    def request(self) -> TransferComplete:
        """The TransferComplete reporting it."""
        return TransferComplete(
            command_key=self.transfer.command_key,
            fault_code=self.fault_code,
            fault_string="" if self.succeeded else fault_string(self.fault_code),
            start_time=self.start_time,
            complete_time=self.complete_time,
        )


@dataclass
class TransferSettings:
    """What a test sets to steer transfers: outcomes, the firmware version, the transport."""

    firmware_version: str | None = None
    download_fault: int | None = None
    upload_fault: int | None = None
    transport: httpx.AsyncBaseTransport | None = None
    timeout: float = 10.0
    log_lines: list[str] = field(
        default_factory=lambda: [
            "kernel: eth0 link up",
            "cwmp: session with the ACS established",
            "cwmp: session closed",
        ]
    )


def timestamp(moment: datetime | None = None) -> str:
    """A dateTime in UTC as TR-069 writes it."""
    value = (moment or datetime.now(UTC)).astimezone(UTC)
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def upload_content(file_type: str, values: Mapping[str, tuple[str, str]], log: list[str]) -> bytes:
    """The file an Upload sends: a config dump of name=value lines, or a few log lines."""
    if file_type.startswith(LOG_FILE_TYPES):
        return "".join(f"{timestamp()} {line}\n" for line in log).encode()
    return "".join(f"{name}={value}\n" for name, (value, _) in values.items()).encode()


async def perform(
    transfer: Transfer, values: Mapping[str, tuple[str, str]], settings: TransferSettings
) -> CompletedTransfer:
    """Carry out one transfer and say how it went; never raises for a failed transfer."""
    start = timestamp()
    download = transfer.kind == "Download"
    forced = settings.download_fault if download else settings.upload_fault
    content = b"" if download else upload_content(transfer.file_type, values, settings.log_lines)
    done = CompletedTransfer(transfer, 0, start, start, content=content)
    if forced is not None:
        done.fault_code, done.error = forced, "fault forced by the test"
    elif _fetchable(transfer.url, settings.transport):
        await _http(done, settings)
    done.complete_time = timestamp()
    if download and done.succeeded and transfer.file_type.startswith(FIRMWARE):
        done.reboots = True
        done.firmware_version = settings.firmware_version or done.firmware_version
    return done


async def _http(done: CompletedTransfer, settings: TransferSettings) -> None:
    """GET the Download's file or PUT the Upload's; record the status or the failure."""
    transfer = done.transfer
    download = transfer.kind == "Download"
    auth = httpx.BasicAuth(transfer.username, transfer.password) if transfer.username else None
    failure = 9010 if download else 9011
    try:
        async with httpx.AsyncClient(
            auth=auth,
            transport=settings.transport,
            timeout=settings.timeout,
            trust_env=False,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        ) as client:
            if download:
                response = await client.get(transfer.url)
            else:
                response = await client.put(transfer.url, content=done.content)
    except httpx.HTTPError as error:
        done.fault_code, done.error = failure, repr(error)
        return
    done.http_status = response.status_code
    if not response.is_success:
        done.fault_code, done.error = failure, f"HTTP {response.status_code}"
    elif download:
        done.content = response.content
        done.firmware_version = response.headers.get(FIRMWARE_HEADER)


def _fetchable(url: str, transport: httpx.AsyncBaseTransport | None) -> bool:
    """Whether the URL is http(s), on loopback unless a test transport stands in."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False
    if transport is not None:
        return True
    host = parts.hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
