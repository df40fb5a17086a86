-- Device search: the indexes behind the filters, sorting and keyset pagination of
-- `GET /api/devices` (acs/projections/device_search.py builds the queries that use them).
-- Plain CREATE INDEX (not CONCURRENTLY: migrations run in a transaction) blocks writes to the
-- table while it builds; on a large existing fleet, stop the ACS or create them beforehand.

-- `param.<Name>=value` and `param.<Name>=~prefix`. text_pattern_ops orders values byte-wise
-- whatever the database collation, so `value LIKE 'prefix%'` is a range scan of this index;
-- a default-opclass index serves LIKE only when the database collation is "C", and an index
-- on `value COLLATE "C"` would need every query to repeat that COLLATE (for `=` too).
-- Equality works with text_pattern_ops as it is, so one index serves both. device_id comes
-- last so the matching devices leave the index in id order, often without a table visit.
CREATE INDEX parameters_name_value_idx
    ON parameters (name, value text_pattern_ops, device_id);

-- `param.<Name>=>n` and `param.<Name>=<n>`: the numeric values of each parameter, as
-- numbers. Only rows whose value looks like a number are in it (the partial predicate is
-- checked before the cast), so other values never make an insert or a query fail. `value`
-- is included because the planner allows an index-only scan only when every column the
-- query names is in the index, even one it reads through the indexed expression.
CREATE INDEX parameters_numeric_value_idx
    ON parameters (
        name, (CASE WHEN value ~ '^-?[0-9]+(\.[0-9]+)?$' THEN value::numeric END), device_id
    )
    INCLUDE (value)
    WHERE value ~ '^-?[0-9]+(\.[0-9]+)?$';
-- The planner ignores the statistics of a partial index's expression; without these it
-- guesses a third of a parameter's values pass any comparison, and scans them all.
CREATE STATISTICS parameters_numeric_value_stats
    ON ((CASE WHEN value ~ '^-?[0-9]+(\.[0-9]+)?$' THEN value::numeric END)) FROM parameters;

-- Filters on equality that are also sort keys: (key, id) serves `key = x ORDER BY id`, and
-- the keyset condition `(key, id) > (cursor key, cursor id)` of `sort=key` pages.
CREATE INDEX devices_manufacturer_idx ON devices (manufacturer, id);
CREATE INDEX devices_product_class_idx ON devices (product_class, id);
-- A device without a known version sorts (and filters, with `software_version=`) as ''.
CREATE INDEX devices_software_version_idx ON devices ((COALESCE(software_version, '')), id);
CREATE INDEX devices_last_inform_id_idx ON devices (last_inform, id);
DROP INDEX devices_last_inform_idx;

-- `online=`: the instant a device goes offline (`ONLINE` in acs/projections/device_search.py),
-- in UTC so that the expression is immutable and can be indexed; `online` compares it to
-- now. The columns it is computed from are included for index-only counts.
CREATE INDEX devices_online_until_idx ON devices (
    ((last_inform AT TIME ZONE 'UTC')
        + make_interval(secs => 2 * COALESCE(periodic_inform_interval, 3600) + 60))
) INCLUDE (last_inform, periodic_inform_interval);

-- `tag=`: devices carrying every given tag (`tags @> array[...]`).
CREATE INDEX devices_tags_idx ON devices USING GIN (tags);
