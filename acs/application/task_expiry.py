"""The task-expiry sweeper: tasks still pending past their expiry end `expired` even when
their device never comes back (a session that opens first expires them itself)."""

from __future__ import annotations

from acs.application.devices import DeviceCommands
from acs.application.sweeps import Sweep
from acs.projections.queries import ReadModel

INTERVAL = 1.0
"""Seconds between two sweeps; each is one query on a partial index (`tasks_expiry_idx`)."""


class TaskExpiry(Sweep):
    """Finds devices with overdue pending tasks in the read model and expires them through
    the device's load-decide-append loop: a task a session sent meanwhile is no longer
    pending and stays, a concurrent write makes the decision run again."""

    def __init__(
        self, read: ReadModel, commands: DeviceCommands, interval: float = INTERVAL
    ) -> None:
        self.read, self.commands = read, commands
        super().__init__("expiring overdue tasks", self._expire, interval)

    def _expire(self) -> int:
        return sum(self.commands.expire_tasks(d) for d in self.read.overdue_tasks())
