"""`acs secrets rotate` on a real database: current secrets sealed again with the newest key,
past events untouched, and what still needs the older key reported."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest

from acs.adapters.secrets import SecretBox, SecretError
from acs.adapters.settings import Settings
from acs.api.services import Services
from acs.application.cwmp_credentials import CwmpCredentialCommands
from acs.application.key_rotation import ACTOR
from acs.domain.device_id import aggregate_id
from acs.domain.tasks import DownloadTask
from tests.conftest import ROOT
from tests.integration.conftest import worker_services
from tests.support.cpe import SimulatedCpe
from tests.support.driver import run_session

OLD, NEW = "old-key-0123456789", "new-key-0123456789"


@pytest.fixture
def old_services(database_url: str) -> Iterator[Services]:
    """The services of an ACS whose only key is the old one."""
    with worker_services(Settings(db_pool_size=4, secret_key=OLD), database_url) as built:
        yield built


def rotate(database_url: str, keys: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACS_DATABASE_URL": database_url, "ACS_LOG_LEVEL": "WARNING"}
    env.pop("ACS_SECRET_KEY", None)
    if keys is not None:
        env["ACS_SECRET_KEY"] = keys
    command = [sys.executable, "-m", "acs.cli", "secrets", "rotate"]
    return subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def stored_states(database_url: str) -> list[bytes]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT state FROM device_events ORDER BY notification_id").fetchall()
    return [bytes(r[0]) for r in rows]


def test_rotation_seals_current_secrets_again_and_leaves_past_events_alone(
    old_services: Services, database_url: str
) -> None:
    cpe = SimulatedCpe("http://127.0.0.1:7547/cwmp", serial="ROTATE")
    run_session(old_services.cwmp, cpe)
    device = cpe.device_id
    old_services.commands.set_credentials(device, "acs", "cr-secret", "alice")
    CwmpCredentialCommands(old_services.store, SecretBox([OLD])).set(
        device, "cpe", "cpe-secret-123", "alice"
    )
    download = DownloadTask(url="http://files.example/fw.bin", username="u", password="fw-pass")
    old_services.commands.queue_task(device, download, "alice")
    hook = old_services.webhooks.create("http://127.0.0.1:9/hook", [], "hook-secret", "alice")
    before = stored_states(database_url)

    done = rotate(database_url, f"{NEW},{OLD}")

    assert done.returncode == 0, done.stderr
    assert "devices whose credentials were sealed again: 1" in done.stdout
    assert "webhook secrets sealed again: 1" in done.stdout
    assert "open tasks whose password needs an older key: 1" in done.stdout
    newest = SecretBox([NEW])
    state = old_services.store.load(aggregate_id(device))
    assert state is not None and state.credentials and state.cwmp_credentials
    assert newest.open(state.credentials.sealed_password) == "cr-secret"
    assert newest.open(state.cwmp_credentials.sealed_password) == "cpe-secret-123"
    after = stored_states(database_url)
    assert after[: len(before)] == before, "past events are never rewritten"
    assert len(after) == len(before) + 2
    assert all(ACTOR.encode() in s for s in after[len(before) :])
    plain = (b"cr-secret", b"cpe-secret-123", b"fw-pass")
    assert not any(p in s for p in plain for s in after), "never in plain text"
    secrets = dict(old_services.webhooks.store.sealed_secrets())
    assert newest.open(secrets[hook.id]) == "hook-secret"
    with pytest.raises(SecretError):
        newest.open(getattr(state.tasks[0].task, "password", ""))

    again = rotate(database_url, f"{NEW},{OLD}")
    assert "devices whose credentials were sealed again: 0" in again.stdout
    assert "webhook secrets sealed again: 0" in again.stdout


def test_rotation_without_configured_keys_says_how_to_start(database_url: str) -> None:
    done = rotate(database_url, None)
    assert done.returncode == 1
    assert "ACS_SECRET_KEY is not set" in done.stderr and "Traceback" not in done.stderr


def test_secrets_no_configured_key_opens_are_reported(
    old_services: Services, database_url: str
) -> None:
    old_services.webhooks.create("http://127.0.0.1:9/hook", [], "hook-secret", "alice")
    done = rotate(database_url, NEW)
    assert done.returncode == 1
    assert "secrets no configured key opens: 1" in done.stdout
