"""Integration fixtures: the real services on a fresh PostgreSQL database, no HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from acs.adapters.settings import Settings
from acs.api.app import build_services
from acs.api.services import Services


@contextmanager
def worker_services(settings: Settings, database_url: str) -> Iterator[Services]:
    """Every service of a worker with these settings, closed afterwards; no thread runs."""
    built = build_services(settings, database_url)
    try:
        yield built
    finally:
        built.executor.shutdown()
        built.pool.close()
        built.store.close()


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    """Every service of a worker; the projector is driven by the test, not a thread."""
    with worker_services(Settings(db_pool_size=4), database_url) as built:
        yield built
