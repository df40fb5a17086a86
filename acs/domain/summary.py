"""The few parameters that summarise a device, found in TR-098 or TR-181 data models."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from acs.domain.messages import ParameterValue

_SUFFIXES = {
    ".DeviceInfo.SoftwareVersion": "software_version",
    ".DeviceInfo.HardwareVersion": "hardware_version",
    ".ManagementServer.ConnectionRequestURL": "connection_request_url",
    ".ManagementServer.PeriodicInformInterval": "periodic_inform_interval",
    ".ExternalIPAddress": "ip_address",
}
_ANY_SUFFIX = tuple(_SUFFIXES)
_ROOTS = ("InternetGatewayDevice.", "Device.")


def summarize(parameters: Iterable[ParameterValue]) -> dict[str, str | int | None]:
    """Summary fields found among these parameters; absent ones are not in the result."""
    found: dict[str, str | int | None] = {}
    for p in parameters:
        if not p.name.endswith(_ANY_SUFFIX) or not p.name.startswith(_ROOTS):
            continue  # one test of all the suffixes rules out most names at once
        for suffix, field in _SUFFIXES.items():
            if p.name.endswith(suffix) and field not in found:
                found[field] = p.value
    if "periodic_inform_interval" in found:
        interval = str(found["periodic_inform_interval"])
        found["periodic_inform_interval"] = int(interval) if interval.isdigit() else None
    if found.get("ip_address") in ("", "0.0.0.0"):  # noqa: S104 - a CPE's "no address"
        del found["ip_address"]
    return found


def host_of(url: str) -> str | None:
    """The host part of a connection request URL, if it has one."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None
