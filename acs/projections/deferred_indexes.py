"""Secondary indexes and foreign keys set aside while a rebuild refills the read model.

Filling an empty table and then building its indexes once is several times faster than
keeping every index and checking every foreign key on each of millions of rows. Unique
indexes stay: the projections' upserts (`ON CONFLICT`) need them, except the primary keys of
tables the rebuild only appends to (`keys_of`). Everything runs in the rebuild's transaction,
so a failed rebuild rolls the indexes back with the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

_CONSTRAINTS = """
SELECT format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass::text, c.conname,
              pg_get_constraintdef(c.oid)),
       format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass::text, c.conname)
FROM pg_constraint c
WHERE c.contype = %s AND c.conrelid::regclass::text = ANY(%s)
ORDER BY c.conname"""

_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid), format('DROP INDEX %%s', i.indexrelid::regclass::text)
FROM pg_index i
WHERE NOT i.indisunique AND i.indrelid::regclass::text = ANY(%s)
ORDER BY i.indexrelid::regclass::text"""


def set_aside(
    cur: psycopg.Cursor[Any], tables: Sequence[str], keys_of: Sequence[str] = ()
) -> list[str]:
    """Drop the tables' foreign keys and non-unique indexes, and the primary keys of
    `keys_of`; return the statements that make them again (indexes and primary keys first:
    the foreign keys' checks then run on complete tables)."""
    names = list(tables)
    foreign = cur.execute(_CONSTRAINTS, ("f", names)).fetchall()
    primary = cur.execute(_CONSTRAINTS, ("p", list(keys_of))).fetchall()
    indexes = cur.execute(_INDEXES, (names,)).fetchall()
    for _, drop in [*foreign, *primary, *indexes]:
        cur.execute(drop)
    return [create for create, _ in [*indexes, *primary, *foreign]]


def restore(cur: psycopg.Cursor[Any], statements: Sequence[str]) -> None:
    """Make again what `set_aside` dropped."""
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for statement in statements:
        cur.execute(statement)
