-- The dashboard's overview: Informs and faulted tasks per minute (acs/projections/activity.py,
-- kept by the projection runner in each batch's transaction, rebuilt with the read model;
-- on a database that had events before this table, `acs projections rebuild` fills the past),
-- and the recent faults, newest first, without reading every task.

CREATE TABLE activity_by_minute (
    minute timestamptz PRIMARY KEY,
    informs bigint NOT NULL DEFAULT 0,
    faults bigint NOT NULL DEFAULT 0
);

CREATE INDEX tasks_faulted_idx ON tasks (completed_at DESC) WHERE status = 'fault';
