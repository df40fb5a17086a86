"""Setting up access as a new operator would: `acs apikey …` and `acs user …` on the command
line, `ACS_BOOTSTRAP_API_KEY`, and the first administrator `acs serve` prints once."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT, AcsServer
from tests.e2e.conftest import eventually

PASSWORD = "a long enough password"


def acs(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`acs ARGS…` on the given database, as an operator would run it."""
    env = {**os.environ, "ACS_DATABASE_URL": database_url, "ACS_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "acs.cli", *args]
    return subprocess.run(command, cwd=ROOT, env=env, input=stdin, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip


def status(server: AcsServer, key: str, path: str = "/api/stats") -> int:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(f"{server.url}{path}", headers=headers, trust_env=False).status_code


def sign_in(server: AcsServer, user: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, trust_env=False) as browser:
        form = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, form
        fields = {"username": user, "password": password, "csrf_token": token.group(1)}
        return browser.post("/login", data=fields)


def test_apikey_create_prints_only_the_key_and_the_key_works(acs_server: AcsServer) -> None:
    made = acs(acs_server.database_url, "apikey", "create", "--name", "ci", "--role", "viewer")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert made.stdout == key + "\n" and key.startswith("acs_")
    assert status(acs_server, key) == 200
    task = httpx.post(f"{acs_server.url}/api/devices/x/reboot",
                      headers={"Authorization": f"Bearer {key}"}, trust_env=False)  # fmt: skip
    assert task.status_code == 403
    listed = acs(acs_server.database_url, "apikey", "list")
    assert re.search(r"^ci\tviewer\t\S+\tcli:", listed.stdout, re.MULTILINE), listed.stdout
    assert key not in listed.stdout
    again = acs(acs_server.database_url, "apikey", "create", "--name", "ci", "--role", "admin")
    assert again.returncode == 1 and "exists already" in again.stderr and not again.stdout
    revoked = acs(acs_server.database_url, "apikey", "revoke", "ci")
    assert revoked.returncode == 0, revoked.stderr
    eventually(lambda: status(acs_server, key) == 401, 3.0)
    assert acs(acs_server.database_url, "apikey", "revoke", "ci").returncode == 1
    bad = acs(acs_server.database_url, "apikey", "create", "--name", "x", "--role", "root")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_user_create_reads_the_password_from_stdin_and_the_user_signs_in(
    acs_server: AcsServer,
) -> None:
    url = acs_server.database_url
    made = acs(url, "user", "create", "--name", "bob", "--role", "admin", "--password-stdin",
               stdin=PASSWORD + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert re.search(r"^bob\tadmin\t", acs(url, "user", "list").stdout, re.MULTILINE)
    assert sign_in(acs_server, "bob", PASSWORD).status_code == 303
    assert sign_in(acs_server, "bob", PASSWORD + "!").status_code == 401
    short = acs(url, "user", "create", "--name", "tim", "--role", "viewer", "--password-stdin",
                stdin="short\n")  # fmt: skip
    assert short.returncode == 1 and "8 to 1024 characters" in short.stderr
    assert acs(url, "user", "delete", "bob").returncode == 0
    assert acs(url, "user", "delete", "bob").returncode == 1
    assert sign_in(acs_server, "bob", PASSWORD).status_code == 401


def test_the_bootstrap_key_is_an_admin_key_made_at_start_and_replaced_by_a_new_value(
    database_url: str,
) -> None:
    key = "acs_bootstrap_" + "k" * 30
    env = {"ACS_BOOTSTRAP_API_KEY": key}
    server = AcsServer(database_url, workers=2, env=env).start()
    try:
        assert server.api_key == key and status(server, key, "/api/keys") == 200
        assert "First start" not in server.log.read_text()
        with httpx.Client(base_url=server.url, headers=server.auth_headers) as api:
            (listed,) = api.get("/api/keys").json()
            assert (listed["name"], listed["role"]) == ("bootstrap", "admin")
            assert listed["created_by"] == "ACS_BOOTSTRAP_API_KEY"
            assert api.delete("/api/keys/bootstrap").status_code == 204
        eventually(lambda: status(server, key) == 401, 3.0)
    finally:
        server.stop()
    again = AcsServer(database_url, env=env).start()
    try:
        assert status(again, key) == 401, "revoked stays revoked while the value is the same"
    finally:
        again.stop()
    rotated = AcsServer(database_url).start()
    try:
        assert rotated.api_key != key and status(rotated, rotated.api_key or "") == 200
        assert status(rotated, key) == 401, "the old value no longer works"
    finally:
        rotated.stop()


def test_a_short_bootstrap_key_stops_the_server(database_url: str) -> None:
    with pytest.raises(RuntimeError, match="ACS_BOOTSTRAP_API_KEY: an API key needs at least"):
        AcsServer(database_url, env={"ACS_BOOTSTRAP_API_KEY": "short"}).start()


def test_the_first_start_prints_how_to_sign_in_once_and_the_api_stays_closed(
    database_url: str,
) -> None:
    first = AcsServer(database_url, bootstrap=False).start()
    try:
        log = first.log.read_text()
        assert log.count("First start") == 1, log
        assert f"http://127.0.0.1:{first.port}/login" in log
        assert "acs apikey create --name NAME --role" in log
        found = re.search(r"user\s+(\S+)\s+password\s+(\S+)", log)
        assert found, log
        user, password = found.groups()
        assert user == "admin"
        assert httpx.get(f"{first.url}/api/stats", trust_env=False).status_code == 401
        assert sign_in(first, user, password).status_code == 303
    finally:
        first.stop()
    second = AcsServer(database_url, bootstrap=False).start()
    try:
        assert "First start" not in second.log.read_text()
        assert sign_in(second, "admin", password).status_code == 303
    finally:
        second.stop()
