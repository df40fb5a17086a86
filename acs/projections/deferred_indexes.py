"""Secondary indexes and foreign keys set aside while a rebuild refills the read model.

Filling an empty table and then building its indexes once is several times faster than
keeping every index and checking every foreign key on each of millions of rows. Unique
indexes stay: the projections' upserts (`ON CONFLICT`) need them. Everything runs in the
rebuild's transaction, so a failed rebuild rolls the indexes back with the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

_FOREIGN_KEYS = """
SELECT format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass::text, c.conname,
              pg_get_constraintdef(c.oid)),
       format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass::text, c.conname)
FROM pg_constraint c
WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)
ORDER BY c.conname"""

_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid), format('DROP INDEX %%s', i.indexrelid::regclass::text)
FROM pg_index i
WHERE NOT i.indisunique AND i.indrelid::regclass::text = ANY(%s)
ORDER BY i.indexrelid::regclass::text"""


def set_aside(cur: psycopg.Cursor[Any], tables: Sequence[str]) -> list[str]:
    """Drop the tables' foreign keys and non-unique indexes; return the statements that make
    them again (indexes first: the foreign keys' checks then run on a complete table)."""
    names = list(tables)
    keys = cur.execute(_FOREIGN_KEYS, (names,)).fetchall()
    indexes = cur.execute(_INDEXES, (names,)).fetchall()
    for _, drop in [*keys, *indexes]:
        cur.execute(drop)
    return [create for create, _ in indexes] + [create for create, _ in keys]


def restore(cur: psycopg.Cursor[Any], statements: Sequence[str]) -> None:
    """Make again what `set_aside` dropped."""
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for statement in statements:
        cur.execute(statement)
