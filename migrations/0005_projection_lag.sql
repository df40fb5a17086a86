-- How far behind the event log the read model runs, recorded by the projection runner with
-- every batch it applies: the age of the newest event applied, when it was applied.

ALTER TABLE projection_tracking
    ADD COLUMN applied_at timestamptz,
    ADD COLUMN lag_seconds double precision NOT NULL DEFAULT 0;
