"""`acs migrate --check` tells whether the database is current and never changes it."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from acs.adapters.migrations import MIGRATIONS_DIR, migration_files, unapplied
from acs.cli import main


def check(url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("ACS_DATABASE_URL", url)
    try:
        main(["migrate", "--check"])
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def applied(url: str) -> set[int]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def test_a_current_database_is_up_to_date(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(database_url, monkeypatch) == 0
    assert capsys.readouterr().out == "database is up to date\n"


def test_pending_migrations_are_listed_and_not_applied(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    last, path = migration_files()[-1]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version = %s", (last,))
    assert check(database_url, monkeypatch) == 1
    assert capsys.readouterr().out == f"pending migrations:\n{path.name}\n"
    assert last not in applied(database_url), "the check applied nothing"


def test_an_empty_database_lacks_every_migration_and_stays_empty(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP TABLE schema_migrations")
    names = unapplied(database_url)
    assert names == [p.name for _, p in migration_files()] and len(names) >= 13
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
    assert row == (None,)


def test_the_migrations_ship_inside_the_package() -> None:
    assert MIGRATIONS_DIR.parent.name == "acs"
    assert (MIGRATIONS_DIR / "0001_event_store.sql").is_file()


def test_an_unreachable_database_is_exit_status_2(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = make_conninfo(database_url, dbname="acs_no_such_database")
    assert check(missing, monkeypatch) == 2
    assert "acs_no_such_database" in capsys.readouterr().err
