"""Sealed secrets: encrypted at rest, opened with any configured key, rotated."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from acs.adapters.secrets import SecretBox, SecretError
from acs.application.key_rotation import ACTOR, resealed_credentials, stale_task_secrets
from acs.domain.device import Credentials, Device, OpenTask, project
from acs.domain.tasks import DownloadTask


def test_a_sealed_secret_does_not_contain_the_secret_and_opens_back() -> None:
    box = SecretBox(["key-one"])
    sealed = box.seal("hunter2")
    assert "hunter2" not in sealed
    assert sealed.startswith("sealed:v1:")
    assert box.open(sealed) == "hunter2"
    assert box.seal("") == "" and box.open("") == ""


def test_keys_rotate_newest_first_and_old_seals_still_open() -> None:
    old = SecretBox(["old"]).seal("secret")
    rotated = SecretBox(["new", "old"])
    assert rotated.open(old) == "secret"
    assert SecretBox(["new"]).open(rotated.seal("x")) == "x"


def test_a_secret_sealed_with_an_unknown_key_is_refused() -> None:
    sealed = SecretBox(["one"]).seal("secret")
    with pytest.raises(SecretError):
        SecretBox(["two"]).open(sealed)
    with pytest.raises(SecretError):
        SecretBox(["two"]).open("plain text")


def test_only_values_sealed_with_the_newest_key_are_current() -> None:
    box = SecretBox(["new", "old"])
    assert box.is_current(box.seal("x")) and box.is_current("")
    assert not box.is_current(SecretBox(["old"]).seal("x"))
    assert not box.is_current(SecretBox(["unknown"]).seal("x"))
    assert not box.is_current("plain text")


def test_resealing_opens_with_any_key_and_seals_with_the_newest() -> None:
    old = SecretBox(["old"]).seal("secret")
    resealed = SecretBox(["new", "old"]).reseal(old)
    assert resealed != old and resealed.startswith("sealed:v1:")
    assert SecretBox(["new"]).open(resealed) == "secret"
    assert SecretBox(["new"]).reseal("") == ""
    with pytest.raises(SecretError):
        SecretBox(["new"]).reseal(old)
    with pytest.raises(SecretError):
        SecretBox(["new"]).reseal("plain text")


def _device(box: SecretBox, *, task_password: str = "") -> Device:
    tasks = ()
    if task_password:
        task = DownloadTask(url="http://files.example/fw.bin", password=box.seal(task_password))
        tasks = (
            OpenTask(task_id="t1", task=task),
            OpenTask(task_id="t2", task=task, status="sent"),
        )
    return Device(
        id=uuid.uuid4(),
        version=3,
        device_id="202BC1-BM632w-ROT",
        parameters={},
        credentials=Credentials("acs", box.seal("cr-secret")),
        cwmp_credentials=Credentials("cpe", box.seal("cpe-secret")),
        tasks=tasks,
    )


def test_rotation_records_current_credentials_again_sealed_with_the_newest_key() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    box = SecretBox(["new", "old"])
    device = _device(SecretBox(["old"]))
    events = resealed_credentials(box, device, at)
    assert [type(e).__name__ for e in events] == [
        "ConnectionRequestCredentialsSet",
        "CwmpCredentialsSet",
    ]
    assert [e.originator_version for e in events] == [4, 5]
    assert {getattr(e, "actor", "") for e in events} == {ACTOR}
    after = project(device, events)
    assert after is not None and after.credentials and after.cwmp_credentials
    newest = SecretBox(["new"])
    assert newest.open(after.credentials.sealed_password) == "cr-secret"
    assert newest.open(after.cwmp_credentials.sealed_password) == "cpe-secret"
    assert resealed_credentials(box, after, at) == [], "nothing left to re-seal"


def test_only_unsent_task_secrets_sealed_with_an_older_key_are_counted() -> None:
    box = SecretBox(["new", "old"])
    assert stale_task_secrets(box, _device(SecretBox(["old"]), task_password="fw")) == 1
    assert stale_task_secrets(box, _device(box, task_password="fw")) == 0
    assert stale_task_secrets(box, _device(SecretBox(["old"]))) == 0
