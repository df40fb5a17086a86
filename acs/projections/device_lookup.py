"""Public device ids by aggregate id, from the `devices` read model."""

from __future__ import annotations

from uuid import UUID

from psycopg_pool import ConnectionPool

_PUBLIC_IDS = "SELECT aggregate_id, id FROM devices WHERE aggregate_id = ANY(%s)"


def public_ids(pool: ConnectionPool, aggregates: list[UUID]) -> dict[UUID, str]:
    """The public id of each aggregate the read model knows as a device."""
    if not aggregates:
        return {}
    with pool.connection() as conn:
        rows = conn.execute(_PUBLIC_IDS, (aggregates,)).fetchall()
    return {UUID(str(agg)): str(device) for agg, device in rows}
