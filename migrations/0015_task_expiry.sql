-- Task expiry: when a task never sent stops being due (null: never), from `TaskQueued`
-- (acs/projections/tasks.py; `acs projections rebuild` fills it for past events). The
-- sweeper (acs/application/task_expiry.py) finds the overdue pending tasks on the index.

ALTER TABLE tasks ADD COLUMN expires_at timestamptz;

CREATE INDEX tasks_expiry_idx ON tasks (expires_at)
    WHERE status = 'pending' AND expires_at IS NOT NULL;
