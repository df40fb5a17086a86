"""The benchmark table: medians of runs, references, ratios, goals and statuses (pure)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Final, Literal

import msgspec

MET: Final = "met"
NOT_MET: Final = "NOT MET"
UNAVAILABLE: Final = "not available yet"
UNMEASURED: Final = "NOT MEASURED"
BEGIN: Final = "<!-- bench:latest:begin -->"
END: Final = "<!-- bench:latest:end -->"
HEADER: Final = (
    "target",
    "measured (median of n)",
    "null ACS",
    "storage limit",
    "ratio",
    "goal",
    "status",
)


class Goal(msgspec.Struct, frozen=True):
    """A target: the figure must be at least (`>=`) or at most (`<=`) the limit."""

    op: Literal[">=", "<="]
    limit: float
    unit: str

    def met(self, value: float) -> bool:
        """Whether a measured figure meets the goal."""
        return value >= self.limit if self.op == ">=" else value <= self.limit

    def text(self) -> str:
        """The goal as printed: `>= 1,000 sessions/s`."""
        sign = "≥" if self.op == ">=" else "≤"
        return f"{sign} {number(self.limit)} {self.unit}".rstrip()


class Reference(msgspec.Struct, frozen=True):
    """A reference figure measured in the same run (null ACS or storage limit)."""

    value: float
    unit: str
    label: str = ""

    def text(self) -> str:
        """`3,437 rows/s (1 row/txn)`."""
        label = f" ({self.label})" if self.label else ""
        return f"{number(self.value)} {self.unit}{label}".strip()


class Row(msgspec.Struct, kw_only=True):
    """One line of the table: a target, its runs, its references and what explains it."""

    key: str
    target: str
    unit: str
    runs: list[float] = msgspec.field(default_factory=list)
    goal: Goal | None = None
    null_acs: Reference | None = None
    storage: Reference | None = None
    errors: int = 0
    available: bool = True
    detail: str = ""
    profile: str = ""

    @property
    def measured(self) -> float | None:
        """The median of the runs."""
        return median(self.runs)

    @property
    def status(self) -> str:
        """met, NOT MET, not available yet, or NOT MEASURED."""
        value = self.measured
        if not self.available:
            return UNAVAILABLE
        if value is None:
            return UNMEASURED
        if self.goal is None:
            return "info"
        if self.errors:
            return f"{NOT_MET} (errors)"
        return MET if self.goal.met(value) else NOT_MET


def median(values: Sequence[float]) -> float | None:
    """The median, None without values."""
    return statistics.median(values) if values else None


def number(value: float) -> str:
    """A figure with sensible precision: 1,234 / 12.3 / 1.23 / 0.012."""
    magnitude = abs(value)
    if magnitude >= 100 or (magnitude >= 1 and float(value).is_integer()):
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def ratio(measured: float | None, reference: Reference | None, label: str) -> str | None:
    """`0.42x null`: the measured figure over a reference."""
    if measured is None or reference is None or reference.value == 0:
        return None
    return f"{measured / reference.value:.2f}x {label}"


def cells(row: Row) -> tuple[str, ...]:
    """The seven cells of a row."""
    value = row.measured
    if not row.available:
        measured = UNAVAILABLE
    elif value is None:
        measured = "—"
    else:
        measured = f"{number(value)} {row.unit} (n={len(row.runs)})"
    ratios = [ratio(value, row.null_acs, "null"), ratio(value, row.storage, "storage")]
    return (
        f"{row.key}. {row.target}",
        measured,
        row.null_acs.text() if row.null_acs else "—",
        row.storage.text() if row.storage else "—",
        " · ".join(r for r in ratios if r) or "—",
        row.goal.text() if row.goal else "—",
        row.status,
    )


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def render(rows: Sequence[Row]) -> str:
    """The table in Markdown."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(_escape(c) for c in cells(row)) + " |" for row in rows]
    return "\n".join(lines)


def explanations(rows: Sequence[Row]) -> str:
    """Below the table: every row's detail, and for every unmet one its figure and profile."""
    parts = [f"- **{row.key}** {row.detail}" for row in rows if row.detail]
    missing = [row.key for row in rows if row.status == UNMEASURED]
    if missing:
        parts.append(f"- not measured (their part did not run or failed): {', '.join(missing)}")
    for row in rows:
        if row.status.startswith(NOT_MET):
            shown = f"{number(row.measured)} {row.unit}" if row.measured is not None else "—"
            parts.append(f"\n### {row.key}. {row.target}: {row.status}, measured {shown}\n")
            parts.append(row.profile.strip() or "(no profile recorded)")
    return "\n".join(parts)


def replace_section(text: str, section: str) -> str:
    """`text` with what lies between the bench markers replaced (markers appended if absent)."""
    block = f"{BEGIN}\n{section.strip()}\n{END}"
    start, end = text.find(BEGIN), text.find(END)
    if start == -1 or end == -1 or end < start:
        return text.rstrip("\n") + "\n\n" + block + "\n"
    return text[:start] + block + text[end + len(END) :]
