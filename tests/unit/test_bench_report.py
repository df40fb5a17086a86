"""The pure parts of the benchmark harness: medians, ratios, statuses, the table, the README."""

from __future__ import annotations

import pytest

from bench.copy_text import line
from bench.load_runs import CORES, LoadRun, ceiling, sessions_allowed
from bench.plan import Plan, plan_from_env
from bench.profiling import sample_counts, top_self_frames
from bench.report import (
    BEGIN,
    END,
    MET,
    NOT_MET,
    UNAVAILABLE,
    UNMEASURED,
    Goal,
    Reference,
    Row,
    cells,
    explanations,
    median,
    number,
    ratio,
    render,
    replace_section,
)
from bench.simulation import SimResult, parse_summary

THROUGHPUT = Goal(">=", 1000, "sessions/s")
LATENCY = Goal("<=", 100, "ms")


def test_median_of_an_odd_number_of_runs_is_the_middle_one():
    assert median([900.0, 1200.0, 1000.0]) == 1000.0


def test_median_of_an_even_number_of_runs_is_the_mean_of_the_middle_two():
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5


def test_median_of_no_runs_is_none():
    assert median([]) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(1234.5, "1,234"), (99.94, "99.9"), (12.34, "12.3"), (1.234, "1.23"), (0.01234, "0.0123")],
)
def test_numbers_are_printed_with_a_precision_that_fits_their_size(value, text):
    assert number(value) == text


def test_ratio_is_the_measured_figure_over_the_reference():
    assert ratio(450.0, Reference(1500.0, "sessions/s"), "null") == "0.30x null"


def test_ratio_without_a_reference_or_a_figure_is_none():
    assert ratio(450.0, None, "null") is None
    assert ratio(None, Reference(1.0, "x"), "null") is None
    assert ratio(1.0, Reference(0.0, "x"), "null") is None


@pytest.mark.parametrize(
    ("goal", "runs", "status"),
    [
        (THROUGHPUT, [1000.0, 1100.0, 990.0], MET),
        (THROUGHPUT, [999.0, 500.0, 1200.0], NOT_MET),
        (LATENCY, [100.0], MET),
        (LATENCY, [100.1, 99.0, 120.0], NOT_MET),
    ],
)
def test_status_compares_the_median_with_the_goal(goal, runs, status):
    assert Row(key="1", target="t", unit="u", runs=runs, goal=goal).status == status


def test_a_figure_reached_with_errors_is_not_met():
    row = Row(key="1", target="t", unit="u", runs=[2000.0], goal=THROUGHPUT, errors=3)
    assert row.status == f"{NOT_MET} (errors)"


def test_a_row_without_runs_is_not_measured_and_an_unavailable_one_says_so():
    assert Row(key="1", target="t", unit="u", goal=THROUGHPUT).status == UNMEASURED
    unavailable = Row(key="4b", target="filter", unit="ms", goal=LATENCY, available=False)
    assert unavailable.status == UNAVAILABLE
    assert cells(unavailable)[1] == UNAVAILABLE


def test_cells_show_the_median_its_run_count_the_references_and_both_ratios():
    row = Row(
        key="1a",
        target="periodic sessions/s",
        unit="sessions/s",
        runs=[600.0, 640.0, 620.0],
        goal=THROUGHPUT,
        null_acs=Reference(1240.0, "sessions/s"),
        storage=Reference(930.0, "rows/s", "1 row/txn + LOCK"),
    )
    assert cells(row) == (
        "1a. periodic sessions/s",
        "620 sessions/s (n=3)",
        "1,240 sessions/s",
        "930 rows/s (1 row/txn + LOCK)",
        "0.50x null · 0.67x storage",
        "≥ 1,000 sessions/s",
        NOT_MET,
    )


def test_the_table_has_the_issue_columns_and_one_line_per_row():
    rows = [
        Row(key="1", target="a|b", unit="u", runs=[1.0], goal=LATENCY),
        Row(key="2", target="c", unit="u", runs=[200.0], goal=LATENCY),
    ]
    lines = render(rows).splitlines()
    assert lines[0] == (
        "| target | measured (median of n) | null ACS | storage limit | ratio | goal | status |"
    )
    assert len(lines) == 4
    assert "a\\|b" in lines[2]
    assert lines[3].endswith(f"| {NOT_MET} |")


def test_every_unmet_row_is_explained_with_its_figure_and_profile():
    rows = [
        Row(key="1", target="fast", unit="ms", runs=[1.0], goal=LATENCY, profile="unused"),
        Row(key="2", target="slow", unit="ms", runs=[250.0], goal=LATENCY, profile="top: f()"),
    ]
    text = explanations(rows)
    assert "### 2. slow: NOT MET, measured 250 ms" in text
    assert "top: f()" in text
    assert "unused" not in text


def test_rows_not_measured_are_listed_in_one_line():
    rows = [Row(key="4a", target="x", unit="u", goal=LATENCY), Row(key="5", target="y", unit="u")]
    assert explanations(rows) == "- not measured (their part did not run or failed): 4a, 5"


def test_the_readme_section_between_the_markers_is_replaced():
    readme = f"# Bench\n\nintro\n\n{BEGIN}\nold table\n{END}\n\nafter\n"
    updated = replace_section(readme, "new table")
    assert updated == f"# Bench\n\nintro\n\n{BEGIN}\nnew table\n{END}\n\nafter\n"
    assert replace_section(updated, "newer") == replace_section(readme, "newer")


def test_a_readme_without_markers_gets_the_section_appended():
    assert replace_section("# Bench\n", "table") == f"# Bench\n\n{BEGIN}\ntable\n{END}\n"


CANNED = """{"devices": 2000, "target_rate": 2000, "duration_s": 20, "sessions": 24000,
"sessions_per_second": 1190.5, "late": 310, "errors": 2, "error_kinds": {"http_503": 2},
"session_ms": {"p50": 40.1, "p95": 90.3, "p99": 130.0, "max": 400.2},
"rpcs": {"GetParameterValues": 10, "SetParameterValues": 5}, "tasks_created": 15,
"projection_lag_s": {"p50": 0.2, "p99": 0.9, "max": 1.3},
"server_rss_mb": {"start": 200.0, "end": 230.0, "max": 231.0,
"per_process": {"101": {"start": 90.0, "end": 100.0, "max": 101.0}}}}"""


def test_the_simulator_summary_is_parsed_from_the_last_json_line():
    result = parse_summary("progress noise\n" + CANNED.replace("\n", " ") + "\n")
    assert isinstance(result, SimResult)
    assert result.sessions_per_second == 1190.5
    assert result.session_ms.p99 == 130.0
    assert result.projection_lag_s is not None
    assert result.projection_lag_s.p99 == 0.9
    assert result.server_rss_mb is not None
    assert result.server_rss_mb.per_process["101"].max == 101.0
    assert result.work_sessions == 15


def test_a_summary_without_lag_or_rss_is_accepted():
    text = CANNED.replace("\n", " ")
    text = text.replace(
        '"projection_lag_s": {"p50": 0.2, "p99": 0.9, "max": 1.3}', '"projection_lag_s": null'
    )
    result = parse_summary(text)
    assert result.projection_lag_s is None


def test_output_without_a_summary_is_an_error():
    with pytest.raises(ValueError, match="no JSON summary"):
        parse_summary("Traceback (most recent call last):\n")


def test_copy_text_escapes_what_copy_would_misread():
    from datetime import UTC, datetime
    from uuid import UUID

    values = [None, True, b"\x01\xff", "a\tb\\c\n", ["0 BOOT", 'say "hi"'], 7, UUID(int=1)]
    values.append(datetime(2025, 1, 1, tzinfo=UTC))
    assert line(values) == (
        "\\N\tt\t\\\\x01ff\ta\\tb\\\\c\\n\t"
        '{"0 BOOT","say \\\\"hi\\\\""}\t7\t00000000-0000-0000-0000-000000000001\t'
        "2025-01-01T00:00:00+00:00\n"
    )


def test_the_quick_plan_is_smaller_and_knobs_override_the_defaults():
    default = plan_from_env({})
    quick = plan_from_env({"BENCH_QUICK": "1"})
    assert quick.quick
    assert quick.seconds < default.seconds
    assert quick.soak_seconds < default.soak_seconds
    tuned = plan_from_env(
        {"BENCH_RUNS": "5", "BENCH_DEVICES": "1000000", "BENCH_SOAK_SECONDS": "60"}
    )
    assert (tuned.runs, tuned.fleet_devices, tuned.soak_seconds) == (5, 1_000_000, 60.0)
    assert plan_from_env({"BENCH_QUICK": "0", "BENCH_RUNS": ""}) == default


def test_a_fleet_never_gets_smaller_than_the_reference_fleet():
    assert plan_from_env({"BENCH_DEVICES": "5"}).fleet_devices > Plan().fleet_small


_ROOT = 'process 1:"acs serve";main (acs/cli.py:10)'
RAW = "\n".join(
    [
        f"{_ROOT};handle (acs/application/cwmp.py:80);load (acs/adapters/event_store.py:90) 6",
        f"{_ROOT};handle (acs/application/cwmp.py:81);decode (json.py:3) 3",
        'process 1:"acs serve";run (asyncio/runners.py:118) 1',
        'process 2:"x" 5',
    ]
)


def test_py_spy_samples_add_up_per_function_whatever_the_line():
    own, inclusive, total = sample_counts(RAW)
    assert total == 10
    assert own["load (acs/adapters/event_store.py)"] == 6
    assert inclusive["handle (acs/application/cwmp.py)"] == 9
    assert inclusive["main (acs/cli.py)"] == 9


def test_the_profile_lists_top_self_functions_then_acs_functions_inclusive():
    text = top_self_frames(RAW, top=2)
    lines = text.splitlines()
    assert "60.0%  load (acs/adapters/event_store.py)" in lines[1]
    assert "30.0%  decode (json.py)" in lines[2]
    assert "90.0%  main (acs/cli.py)" in text
    assert "runners" not in text.split("ACS functions")[1]


def _run(server_ms: float, postgres_ms: float, simulator_ms: float) -> LoadRun:
    return LoadRun(parse_summary(CANNED.replace("\n", " ")), server_ms, postgres_ms, simulator_ms)


def test_the_cores_allow_sessions_in_proportion_to_their_cpu_cost():
    assert sessions_allowed(2.0) == 500 * CORES
    assert sessions_allowed(4.0) == 250 * CORES
    assert sessions_allowed(0.0) == 0


def test_the_ceiling_adds_the_null_acs_cost_to_postgresql_cost_of_the_acs():
    null = [_run(0.8, 0.0, 0.7), _run(0.9, 0.0, 0.8), _run(0.6, 0.0, 0.6)]
    acs = [_run(2.5, 1.1, 1.0), _run(2.6, 1.3, 1.0), _run(2.7, 0.9, 1.0)]
    text = ceiling(null, acs)
    assert "(1.50 ms)" in text  # the middle null run: 0.8 + 0.7
    assert "(1.10 ms)" in text  # the middle PostgreSQL cost; the ACS's own workers left out
    assert f"at most {sessions_allowed(2.6):,.0f} sessions/s" in text


def test_no_ceiling_without_runs_of_both_servers():
    assert ceiling([], [_run(2.5, 1.1, 1.0)]) == ""
    assert ceiling([_run(0.8, 0.0, 0.7)], []) == ""
