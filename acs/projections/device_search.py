"""The SQL of device search: each filter a fixed fragment over `devices d` with bound
parameters (user input is never part of the text), each sort an order and a keyset
condition. The indexes behind them are in `migrations/0007_device_search.sql`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from acs.projections.device_filter import Cursor, DeviceFilter, DeviceQuery, ParamFilter, Sort

ONLINE_GRACE_SECONDS = 60
DEFAULT_INFORM_INTERVAL = 3600

ONLINE = f"""(((last_inform AT TIME ZONE 'UTC') + make_interval(secs =>
    2 * COALESCE(periodic_inform_interval, {DEFAULT_INFORM_INTERVAL}) + {ONLINE_GRACE_SECONDS}))
    >= (now() AT TIME ZONE 'UTC'))"""
"""A device is online while its next-but-one periodic Inform is not overdue; written as
"the instant it goes offline is not past" so that `devices_online_until_idx` serves it."""

_NUMERIC = r"'^-?[0-9]+(\.[0-9]+)?$'"
_PARAMETER = "EXISTS (SELECT FROM parameters p WHERE p.device_id = d.id AND p.name = %s AND {})"
_PARAM_TESTS = {
    "equals": "p.value = %s",
    "prefix": "p.value LIKE %s",
    "above": f"p.value ~ {_NUMERIC} AND "
    f"(CASE WHEN p.value ~ {_NUMERIC} THEN p.value::numeric END) > %s::numeric",
    "below": f"p.value ~ {_NUMERIC} AND "
    f"(CASE WHEN p.value ~ {_NUMERIC} THEN p.value::numeric END) < %s::numeric",
}
"""The numeric tests match `parameters_numeric_value_idx`; the CASE casts only values that
look like numbers, whatever order the planner checks conditions in."""

_SOFTWARE_VERSION = "COALESCE(d.software_version, '')"
_SORT_KEYS: dict[Sort, str] = {
    "id": "d.id",
    "last_inform": "d.last_inform",
    "-last_inform": "d.last_inform",
    "software_version": _SOFTWARE_VERSION,
    "manufacturer": "d.manufacturer",
}
_ORDERS: dict[Sort, str] = {
    "id": "d.id",
    "last_inform": "d.last_inform, d.id",
    "-last_inform": "d.last_inform DESC, d.id DESC",
    "software_version": f"{_SOFTWARE_VERSION}, d.id",
    "manufacturer": "d.manufacturer, d.id",
}


class Sql(NamedTuple):
    """A statement or fragment and its bound parameters, in order."""

    text: str
    params: list[Any]


def page_statement(query: DeviceQuery, columns: str) -> Sql:
    """The devices of the query's page, plus one to tell whether another page follows."""
    page = query.page
    after_id = page.after.id if page.after is not None and page.sort == "id" else None
    where = filter_condition(query.filter, after_id)
    if page.after is not None:
        where = _joined([where, keyset_condition(page.after)])
    return Sql(
        f"SELECT {columns} FROM devices d WHERE {where.text} "
        f"ORDER BY {_ORDERS[page.sort]} LIMIT %s OFFSET %s",
        [*where.params, page.limit + 1, page.offset],
    )


def count_statement(devices: DeviceFilter) -> Sql:
    """How many devices match the filter; a filter on one parameter alone counts its index
    entries only (every parameter row belongs to a device: a foreign key)."""
    matching = _matching(devices)
    return Sql(f"SELECT count(*) {matching.text}", matching.params)


def bounded_count_statement(devices: DeviceFilter, bound: int) -> Sql:
    """How many devices match, counting no further than `bound + 1`: as cheap as reading
    that many index entries, whatever the fleet's size."""
    matching = _matching(devices)
    return Sql(
        f"SELECT count(*) FROM (SELECT 1 {matching.text} LIMIT %s) AS matched",
        [*matching.params, bound + 1],
    )


def _matching(devices: DeviceFilter) -> Sql:
    """The `FROM … WHERE …` of the rows that stand for the matching devices."""
    names = {param.name for param in devices.params}
    if len(names) == 1 and devices == DeviceFilter(params=devices.params):
        tests = " AND ".join(_PARAM_TESTS[t.op] for t in devices.params)
        operands = [like_prefix(t.value) if t.op == "prefix" else t.value for t in devices.params]
        return Sql(f"FROM parameters p WHERE p.name = %s AND {tests}", [names.pop(), *operands])
    where = filter_condition(devices)
    return Sql(f"FROM devices d WHERE {where.text}", where.params)


def keyset_condition(cursor: Cursor) -> Sql:
    """The devices after the cursor's in its sort: `(key, id)` beyond the cursor's."""
    if cursor.sort == "id":
        return Sql("d.id > %s", [cursor.id])
    key: Any = cursor.key
    if cursor.sort in ("last_inform", "-last_inform"):
        key = datetime.fromisoformat(str(cursor.key))
    beyond = "<" if cursor.sort == "-last_inform" else ">"
    return Sql(f"({_SORT_KEYS[cursor.sort]}, d.id) {beyond} (%s, %s)", [key, cursor.id])


def filter_condition(devices: DeviceFilter, after_id: str | None = None) -> Sql:
    """The condition on `devices d` that the filter's devices meet; `after_id` repeats a
    cursor's `d.id > x` on parameters (the planner does not carry it across the join), so
    a page of a `sort=id` walk reads parameters from the cursor on, not from the start."""
    return _joined(_conditions(devices, after_id))


def _conditions(devices: DeviceFilter, after_id: str | None) -> list[Sql]:
    by_name: dict[str, list[ParamFilter]] = {}
    for param in devices.params:
        by_name.setdefault(param.name, []).append(param)
    found = [param_condition(name, tests, after_id) for name, tests in by_name.items()]
    if devices.tags:
        found.append(Sql("d.tags @> %s::text[]", [list(devices.tags)]))
    if devices.online is not None:
        found.append(Sql(ONLINE if devices.online else f"NOT {ONLINE}", []))
    for test, value in (
        ("d.last_inform < %s", devices.last_inform_before),
        ("d.last_inform > %s", devices.last_inform_after),
        ("d.manufacturer = %s", devices.manufacturer),
        ("d.product_class = %s", devices.product_class),
        (f"{_SOFTWARE_VERSION} = %s", devices.software_version),
    ):
        if value is not None:
            found.append(Sql(test, [value]))
    return found


def param_condition(name: str, tests: list[ParamFilter], after_id: str | None = None) -> Sql:
    """The device has the parameter, with a value that passes every test (one row: a
    device has one value per name, and a range becomes one index range)."""
    text = " AND ".join(_PARAM_TESTS[t.op] for t in tests)
    operands = [like_prefix(t.value) if t.op == "prefix" else t.value for t in tests]
    if after_id is None:
        return Sql(_PARAMETER.format(text), [name, *operands])
    return Sql(_PARAMETER.format(f"p.device_id > %s AND {text}"), [name, after_id, *operands])


def like_prefix(prefix: str) -> str:
    """A LIKE pattern matching the strings that start with `prefix`, taken literally."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _joined(conditions: list[Sql]) -> Sql:
    if not conditions:
        return Sql("TRUE", [])
    text = " AND ".join(f"({c.text})" for c in conditions)
    return Sql(text, [p for c in conditions for p in c.params])
