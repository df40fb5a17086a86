"""The directory where the workers of `acs serve` share their HTTP metrics (prometheus_client
multiprocess mode: one file per worker, added up on every scrape)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def shared_metrics_dir() -> Iterator[Path]:
    """PROMETHEUS_MULTIPROC_DIR for the workers: the one configured, emptied of an earlier
    run's files, or a new temporary one removed at the end. Set before any worker starts."""
    configured = os.environ.get(MULTIPROC_DIR)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob("*.db"):
            old.unlink()
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="acs-metrics-"))
    os.environ[MULTIPROC_DIR] = str(path)
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROC_DIR, None)
        shutil.rmtree(path, ignore_errors=True)
