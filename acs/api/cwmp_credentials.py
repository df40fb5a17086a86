"""`/api/devices/{id}/cwmp-credentials`: what a CPE must authenticate its sessions with."""

from __future__ import annotations

import msgspec
from litestar import Controller, delete, get, put
from litestar.exceptions import ClientException

from acs.api.services import Services
from acs.application.cwmp_credentials import CwmpCredentialCommands
from acs.domain.cwmp_credentials import CredentialsError


class CwmpCredentials(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The CPE's own user name and password (its ManagementServer.Username and .Password);
    the password is stored sealed and never shown back."""

    username: str
    password: str


class CwmpCredentialsShown(msgspec.Struct, frozen=True):
    """The user name the CPE must authenticate with (null: the configured rule or shared
    credentials apply), and whether a password goes with it."""

    username: str | None
    password_set: bool


def _commands(services: Services) -> CwmpCredentialCommands:
    assert services.cwmp_credentials is not None
    return services.cwmp_credentials


class CwmpCredentialController(Controller):
    """A device's own CWMP credentials, also before its first Inform (pre-provisioning)."""

    path = "/api/devices/{device_id:str}/cwmp-credentials"
    tags = ["devices"]

    @put("/", status_code=204)
    async def set_cwmp_credentials(
        self, services: Services, device_id: str, data: CwmpCredentials, actor: str
    ) -> None:
        """Set the credentials the device must authenticate its sessions with."""
        commands = _commands(services)
        try:
            await services.run(commands.set, device_id, data.username, data.password, actor)
        except CredentialsError as exc:
            raise ClientException(detail=str(exc)) from exc

    @delete("/", status_code=204)
    async def clear_cwmp_credentials(self, services: Services, device_id: str, actor: str) -> None:
        """Remove them: the configured rule or shared credentials apply again."""
        await services.run(_commands(services).clear, device_id, actor)

    @get("/")
    async def get_cwmp_credentials(
        self, services: Services, device_id: str
    ) -> CwmpCredentialsShown:
        """The user name the device must authenticate with; never the password."""
        username = await services.run(_commands(services).username, device_id)
        return CwmpCredentialsShown(username=username, password_set=username is not None)
