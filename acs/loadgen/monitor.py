"""Samples taken every second during a run: the server's memory and the projection lag."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from acs.loadgen.stats import quantiles

PROC: Final = Path("/proc")
MB: Final = 1024 * 1024
_MAX_PROCESSES: Final = 100_000


def parent_pids(proc: Path = PROC) -> dict[int, int]:
    """The parent of every process, from /proc/<pid>/stat."""
    parents: dict[int, int] = {}
    for index, entry in enumerate(proc.iterdir()):
        if index >= _MAX_PROCESSES:
            break
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1].isdigit():
            parents[int(entry.name)] = int(fields[1])
    return parents


def with_descendants(roots: tuple[int, ...], parents: dict[int, int]) -> list[int]:
    """The roots and every process below them."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found: set[int] = set()
    todo = list(roots)
    while todo and len(found) < _MAX_PROCESSES:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return sorted(found)


def rss_bytes(pid: int, proc: Path = PROC) -> int | None:
    """A process's resident set size (VmRSS), None when it is gone."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


@dataclass
class Span:
    """First, last and largest value seen."""

    start: float
    end: float
    max: float

    def add(self, value: float) -> None:
        """Record a newer value."""
        self.end, self.max = value, max(self.max, value)

    def as_mb(self) -> dict[str, float]:
        """The values in MB (2^20 bytes)."""
        return {key: round(value / MB, 1) for key, value in vars(self).items()}


class RssTracker:
    """The RSS of the server processes and their descendants, per process and in total."""

    def __init__(self, roots: tuple[int, ...], proc: Path = PROC) -> None:
        """Track these processes (and the ones they start) through /proc."""
        self.roots, self.proc = roots, proc
        self.total: Span | None = None
        self.per_process: dict[int, Span] = {}

    def sample(self) -> None:
        """Read every tracked process's RSS once."""
        if not self.roots:
            return
        pids = with_descendants(self.roots, parent_pids(self.proc))
        sizes = {pid: rss for pid in pids if (rss := rss_bytes(pid, self.proc)) is not None}
        if not sizes:
            return
        for pid, rss in sizes.items():
            if pid in self.per_process:
                self.per_process[pid].add(rss)
            else:
                self.per_process[pid] = Span(rss, rss, rss)
        total = float(sum(sizes.values()))
        if self.total is None:
            self.total = Span(total, total, total)
        else:
            self.total.add(total)

    def summary(self) -> dict[str, Any] | None:
        """`{"start", "end", "max", "per_process": {pid: {...}}}` in MB, None without samples."""
        if self.total is None:
            return None
        per_process = {str(pid): span.as_mb() for pid, span in sorted(self.per_process.items())}
        return {**self.total.as_mb(), "per_process": per_process}


class LagSampler:
    """Samples `lag_seconds` from `GET /api/status/projections`; gives up if it is missing."""

    def __init__(self, url: str) -> None:
        """Poll this URL."""
        self.url = url
        self.samples: list[float] = []
        self.missing = False

    @property
    def latest(self) -> float:
        """The last lag seen, 0 before any."""
        return self.samples[-1] if self.samples else 0.0

    async def sample(self, client: httpx.AsyncClient) -> None:
        """Take one sample; connection errors skip it, a 404 or a non-JSON answer ends polling."""
        if self.missing:
            return
        try:
            response = await client.get(self.url, timeout=2.0)
        except httpx.HTTPError:
            return
        if response.status_code != 200:
            self.missing = response.status_code in (404, 405)
            return
        try:
            lag = float(response.json()["lag_seconds"])
        except (ValueError, KeyError, TypeError):
            self.missing = True
            return
        if math.isfinite(lag):
            self.samples.append(lag)

    def summary(self) -> dict[str, float] | None:
        """p50, p99 and max of the lag in seconds, None when the endpoint gave nothing."""
        return quantiles(self.samples)
