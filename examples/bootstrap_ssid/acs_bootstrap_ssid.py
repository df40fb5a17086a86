"""An example provisioner: on `0 BOOTSTRAP`, set the periodic Inform interval and an SSID
derived from the serial number.

A preset names it (`"provisioner": "example.bootstrap_ssid"`); the ACS calls it in the
sessions the preset applies to and the planner ensures what it returns, reading unknown
values first and writing only what differs.
"""

from __future__ import annotations

import hashlib

from acs.domain.extensions import DeviceSnapshot
from acs.domain.presets import Ensure

INTERVAL_SECONDS = 3600
"""The periodic Inform interval every bootstrapped device gets."""


def ssid_for(serial_number: str) -> str:
    """`Home-` and four hexadecimal digits of the serial number's SHA-256: stable per device,
    and not the serial number itself (which would be readable by anyone nearby)."""
    return "Home-" + hashlib.sha256(serial_number.encode()).hexdigest()[:4].upper()


def bootstrap_ssid(device: DeviceSnapshot, event_codes: tuple[str, ...]) -> Ensure | None:
    """The interval and the SSID, in the device's own data model (TR-181 or TR-098)."""
    if "0 BOOTSTRAP" not in event_codes:
        return None
    if any(name.startswith("Device.") for name in device.parameters):
        interval = "Device.ManagementServer.PeriodicInformInterval"
        ssid = "Device.WiFi.SSID.1.SSID"
    else:
        interval = "InternetGatewayDevice.ManagementServer.PeriodicInformInterval"
        ssid = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
    return Ensure(values={interval: str(INTERVAL_SECONDS), ssid: ssid_for(device.serial_number)})
