"""What explains a figure: py-spy self time of a process tree, PostgreSQL wait events, CPU.

`py_spy` samples a process (and its subprocesses) while a load runs and returns the top
self-time frames; `WaitSampler` counts what the database's backends wait on meanwhile.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections import Counter
from contextlib import suppress
from pathlib import Path
from typing import Final

import psycopg

from bench.processes import ADMIN_URL, BIN

TOP: Final = 10


def py_spy_command() -> str | None:
    """The py-spy executable (the venv's, else one on PATH)."""
    local = BIN / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def start_py_spy(
    pid: int, seconds: float, out: Path, *, gil: bool = True
) -> subprocess.Popen[bytes] | None:
    """Start `py-spy record --format raw` on a process tree for `seconds` (only the thread
    holding the GIL with `gil`, else every active thread); None without py-spy."""
    command = py_spy_command()
    if command is None:
        return None
    args = [command, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
    args += ["--gil"] if gil else []
    args += ["--duration", str(int(seconds)), "--rate", "100", "--format", "raw", "-o", str(out)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def finish_py_spy(
    process: subprocess.Popen[bytes] | None, out: Path, seconds: float, *, gil: bool = True
) -> str:
    """Wait for py-spy (bounded) and summarise its samples."""
    if process is None:
        return "py-spy is not installed: no profile."
    try:
        process.wait(timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        process.terminate()
        process.wait(timeout=10)
    if not out.exists():
        return "py-spy recorded nothing."
    return top_self_frames(out.read_text(errors="replace"), gil=gil)


_LINE = re.compile(r":\d+\)$")


def _function(frame: str) -> str:
    """`Cls.f (pkg/mod.py:12)` -> `Cls.f (pkg/mod.py)`: samples of a function add up."""
    return _LINE.sub(")", frame.strip())


def sample_counts(raw: str) -> tuple[Counter[str], Counter[str], int]:
    """Self samples and inclusive samples per function of py-spy raw output
    (`a;b;leaf count` lines), and the total."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = [_function(f) for f in stack.split(";") if not f.startswith("process ")]
        if not frames:
            continue
        own[frames[-1]] += int(number)
        for frame in set(frames):
            inclusive[frame] += int(number)
    return own, inclusive, sum(own.values())


def top_self_frames(raw: str, top: int = TOP, *, gil: bool = True) -> str:
    """The `top` functions by self time, then the ACS's own functions by inclusive time."""
    own, inclusive, total = sample_counts(raw)
    if not total:
        return "py-spy: no samples."
    mode = "--gil: Python CPU" if gil else "active threads: CPU and waits"
    lines = [f"py-spy ({mode}), top {top} self-time functions of {total} samples:"]
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    mine = [(f, n) for f, n in inclusive.most_common() if "(acs/" in f]
    lines.append("  ACS functions by inclusive time:")
    lines += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in mine[:top]]
    return "\n".join(lines)


class WaitSampler:
    """Counts, ten times a second, what the backends of one database are doing or waiting on."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.counts: Counter[str] = Counter()
        self.queries: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        query = r"""SELECT COALESCE(wait_event_type || ':' || wait_event, 'CPU'),
            left(regexp_replace(query, '\s+', ' ', 'g'), 160)
            FROM pg_stat_activity WHERE datname = %s AND state = 'active'
            AND pid <> pg_backend_pid() AND backend_type = 'client backend'"""
        with suppress(psycopg.Error), psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for _ in range(100_000):
                if self._stop.wait(0.1):
                    return
                for what, text in conn.execute(query, (self.database,)).fetchall():
                    self.counts[str(what)] += 1
                    self.queries[str(text)] += 1
                self.samples += 1

    def summary(self, top: int = 6) -> str:
        """Mean active backends per state: `2.1 Lock:relation, 0.8 CPU, ...`."""
        if not self.samples:
            return "PostgreSQL: no samples."
        parts = [f"{n / self.samples:.2f} {what}" for what, n in self.counts.most_common(top)]
        lines = ["PostgreSQL active backends (mean, by wait event): " + ", ".join(parts)]
        lines.append("  statements most often active:")
        lines += [f"    {n / self.samples:.2f}  {text}" for text, n in self.queries.most_common(3)]
        return "\n".join(lines)
