"""Operators set and clear the credentials a CPE authenticates its sessions with."""

from __future__ import annotations

from acs.adapters.event_store import EventStore
from acs.adapters.secrets import SecretBox
from acs.application.devices import decide_and_append, now
from acs.domain import decide
from acs.domain.cwmp_credentials import CredentialsError, checked_credentials, identity_of
from acs.domain.device import DeviceNotFoundError
from acs.domain.device_id import aggregate_id


class CwmpCredentialCommands:
    """A device's own CWMP credentials, the password sealed before it is decided on."""

    def __init__(self, store: EventStore, box: SecretBox) -> None:
        self.store, self.box = store, box

    def set(self, device_id: str, username: str, password: str, actor: str) -> int:
        """Set the credentials, also for a device that never informed yet; returns the
        event's log position."""
        checked_credentials(username, password)
        if identity_of(device_id) is None:
            raise CredentialsError(f"{device_id!r} is not a device id (OUI-ProductClass-Serial)")
        sealed, at = self.box.seal(password), now()
        _, _, positions = decide_and_append(
            self.store,
            device_id,
            lambda d: decide.set_cwmp_credentials(
                d,
                aggregate=aggregate_id(device_id),
                public_id=device_id,
                username=username,
                sealed_password=sealed,
                actor=actor,
                at=at,
            ),
        )
        return positions[-1]

    def clear(self, device_id: str, actor: str) -> int | None:
        """Clear the credentials; the event's log position, None if there were none."""
        at = now()
        _, _, positions = decide_and_append(
            self.store,
            device_id,
            lambda d: decide.clear_cwmp_credentials(d, actor=actor, at=at),
        )
        return positions[-1] if positions else None

    def username(self, device_id: str) -> str | None:
        """The user name the device must authenticate with, None if it has none of its own."""
        device = self.store.load(aggregate_id(device_id))
        if device is None:
            raise DeviceNotFoundError(device_id)
        return device.cwmp_credentials.username if device.cwmp_credentials else None
