"""Devices chosen by a filter (or a list) for campaigns and bulk operations.

A filter is the query string of `GET /api/devices` as a JSON object (`param.<Name>`, `tag`,
`manufacturer`, `product_class`, `software_version`, `online`, …), parsed and turned into SQL
by the device search (`device_filter`, `device_search`); paging keys are not allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg_pool import ConnectionPool

from acs.projections.device_filter import DeviceFilter, DeviceQueryError, parse_device_query
from acs.projections.device_search import Sql, filter_condition

_PAGING = frozenset({"sort", "limit", "offset", "cursor"})


def device_filter(filter_: dict[str, str]) -> DeviceFilter:
    """The typed filter of a campaign or bulk operation, or `DeviceQueryError`."""
    if paging := _PAGING & set(filter_):
        raise DeviceQueryError(f"a device filter takes no paging: {sorted(paging)}")
    return parse_device_query(filter_.items()).filter


def where(filter_: dict[str, str], devices: Sequence[str]) -> Sql:
    """The condition on `devices d` for a filter and/or a device list."""
    parts = [filter_condition(device_filter(filter_))]
    if devices:
        parts.append(Sql("d.id = ANY(%s)", [list(devices)]))
    text = " AND ".join(f"({p.text})" for p in parts)
    return Sql(text, [value for p in parts for value in p.params])


def _rows(pool: ConnectionPool, query: str, params: list[Any]) -> list[Any]:
    with pool.connection() as conn:
        return conn.execute(query.encode(), params).fetchall()


def matching(
    pool: ConnectionPool, filter_: dict[str, str], devices: Sequence[str], limit: int
) -> list[str]:
    """The ids of the devices the filter or list selects, in id order."""
    condition = where(filter_, devices)
    query = f"SELECT d.id FROM devices d WHERE {condition.text} ORDER BY d.id LIMIT %s"
    return [str(r[0]) for r in _rows(pool, query, [*condition.params, limit])]


def count(pool: ConnectionPool, filter_: dict[str, str], devices: Sequence[str]) -> int:
    """How many devices the filter or list selects now."""
    condition = where(filter_, devices)
    rows = _rows(pool, f"SELECT count(*) FROM devices d WHERE {condition.text}", condition.params)
    return int(rows[0][0]) if rows else 0


_CANDIDATES = """SELECT d.id, d.software_version FROM devices d WHERE {}
AND COALESCE(d.software_version, '') <> %s
AND NOT EXISTS (SELECT FROM campaign_devices c WHERE c.campaign_id = %s AND c.device_id = d.id)
ORDER BY d.id LIMIT %s"""


def campaign_candidates(
    pool: ConnectionPool, campaign_id: str, selection: tuple[dict[str, str], Sequence[str]],
    target: str, limit: int,
) -> list[tuple[str, str | None]]:  # fmt: skip
    """Selected devices not in the campaign yet and not on the target version, in id order."""
    condition = where(*selection)
    query = _CANDIDATES.format(condition.text)
    rows = _rows(pool, query, [*condition.params, target, campaign_id, limit])
    return [(str(r[0]), r[1]) for r in rows]
