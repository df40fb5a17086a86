"""The device search's SQL, built without a database: user input only ever in parameters."""

from __future__ import annotations

from datetime import UTC, datetime

from acs.projections.device_filter import Cursor, DeviceQuery, Page, parse_device_query
from acs.projections.device_search import (
    count_statement,
    keyset_condition,
    like_prefix,
    page_statement,
)

HOSTILE = "x'); DROP TABLE devices; --"


def query(*items: tuple[str, str]) -> DeviceQuery:
    return parse_device_query(list(items))


def test_user_input_is_never_part_of_the_sql_text() -> None:
    search = query(
        (f"param.{HOSTILE}", HOSTILE),
        (f"param.{HOSTILE}.2", f"~{HOSTILE}"),
        ("manufacturer", HOSTILE),
        ("product_class", HOSTILE),
        ("software_version", HOSTILE),
    )
    for statement in (page_statement(search, "d.id"), count_statement(search.filter)):
        assert "DROP" not in statement.text
        assert statement.text.count("%s") == len(statement.params)
        assert HOSTILE in statement.params


def test_no_filter_counts_every_device() -> None:
    assert count_statement(query().filter) == ("SELECT count(*) FROM devices d WHERE TRUE", [])


def test_filters_on_one_parameter_test_one_row() -> None:
    name = "InternetGatewayDevice.DeviceInfo.UpTime"
    search = query((f"param.{name}", ">10"), (f"param.{name}", "<20"))
    statement = page_statement(search, "d.id")
    assert statement.text.count("EXISTS") == 1
    assert statement.params[:3] == [name, "10", "20"]


def test_a_search_on_one_parameter_alone_counts_its_index_entries() -> None:
    name = "InternetGatewayDevice.DeviceInfo.UpTime"
    alone = count_statement(query((f"param.{name}", ">10"), (f"param.{name}", "<20")).filter)
    assert alone.text.startswith("SELECT count(*) FROM parameters p WHERE p.name = %s AND")
    assert "devices" not in alone.text
    assert alone.params == [name, "10", "20"]
    with_tag = count_statement(query((f"param.{name}", ">10"), ("tag", "lab")).filter)
    assert with_tag.text.startswith("SELECT count(*) FROM devices d WHERE")
    two = count_statement(query((f"param.{name}", ">10"), ("param.Other", "x")).filter)
    assert two.text.count("EXISTS") == 2


def test_a_prefix_is_matched_literally() -> None:
    assert like_prefix("50%_off\\") == "50\\%\\_off\\\\%"


def test_a_cursor_page_starts_after_the_cursor_in_the_sort_order() -> None:
    at = datetime(2025, 1, 2, tzinfo=UTC)
    assert keyset_condition(Cursor("id", None, "d1")) == ("d.id > %s", ["d1"])
    assert keyset_condition(Cursor("-last_inform", at.isoformat(), "d1")) == (
        "(d.last_inform, d.id) < (%s, %s)",
        [at, "d1"],
    )
    assert keyset_condition(Cursor("software_version", "", "d1")) == (
        "(COALESCE(d.software_version, ''), d.id) > (%s, %s)",
        ["", "d1"],
    )


def test_an_id_cursor_also_bounds_the_parameters_read() -> None:
    search = query(("param.A", "1"))
    after = DeviceQuery(search.filter, Page(limit=10, after=Cursor("id", None, "d1")))
    statement = page_statement(after, "d.id")
    assert "p.device_id > %s" in statement.text
    assert statement.params == ["A", "d1", "1", "d1", 11, 0]
