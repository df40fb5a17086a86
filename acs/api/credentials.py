"""The REST API of operators' credentials: API keys and dashboard users (admins only)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec
from litestar import Controller, delete, get, post
from litestar.exceptions import ClientException, HTTPException, NotFoundException

from acs.adapters.access_store import ApiKey, NameTakenError, User
from acs.api.services import Services
from acs.application.access import NewKey
from acs.domain.access import AccessError, Role
from acs.domain.passwords import PasswordError

T = TypeVar("T")


class KeyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A key to create: its name (1-64 of `A-Z a-z 0-9 _ . @ -`) and role."""

    name: str
    role: Role


class UserRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A dashboard user to create: name, role and password (8 to 1024 characters)."""

    name: str
    role: Role
    password: str


async def _checked(work: Callable[[], Awaitable[T]]) -> T:
    """Credential errors as HTTP answers: 400 for a bad name or password, 409 for a taken name."""
    try:
        return await work()
    except (AccessError, PasswordError) as exc:
        raise ClientException(detail=str(exc)) from exc
    except NameTakenError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


class KeyController(Controller):
    """API keys: the key is shown once, when it is created; only its hash is stored."""

    path = "/api/keys"
    tags = ["access"]

    @post("/", status_code=201)
    async def create_key(self, services: Services, data: KeyRequest, actor: str) -> NewKey:
        """Create a key; the answer holds the key itself, which is never shown again."""
        made = services.access.create_key
        return await _checked(lambda: services.run(made, data.name, data.role, actor))

    @get("/")
    async def list_keys(self, services: Services) -> list[ApiKey]:
        """Every key (revoked ones too), without the keys themselves."""
        return await services.run(services.access.keys)

    @delete("/{name:str}", status_code=204)
    async def revoke_key(self, services: Services, name: str, actor: str) -> None:
        """Revoke a key: refused from now on (by every worker within two seconds)."""
        if not await services.run(services.access.revoke_key, name, actor):
            raise NotFoundException(detail=f"no active key {name}")


class UserController(Controller):
    """Dashboard users; passwords are stored as scrypt hashes and never shown."""

    path = "/api/users"
    tags = ["access"]

    @post("/", status_code=201)
    async def create_user(self, services: Services, data: UserRequest, actor: str) -> User:
        """Create a user."""
        made = services.access.create_user
        return await _checked(
            lambda: services.run(made, data.name, data.role, data.password, actor))  # fmt: skip

    @get("/")
    async def list_users(self, services: Services) -> list[User]:
        """Every user."""
        return await services.run(services.access.users)

    @delete("/{name:str}", status_code=204)
    async def delete_user(self, services: Services, name: str, actor: str) -> None:
        """Delete a user; their sessions end at once."""
        if not await services.run(services.access.delete_user, name, actor):
            raise NotFoundException(detail=f"no user {name}")
