-- Operator files (firmware, configuration) next to device uploads, firmware campaigns and
-- bulk operations. `campaigns` and `bulk_jobs` are read models projected from their events;
-- `campaign_batches`, `campaign_devices` and `bulk_tasks` are the progress the driver keeps.

ALTER TABLE files
    ADD COLUMN origin text NOT NULL DEFAULT 'device',
    ADD COLUMN name text NOT NULL DEFAULT '',
    ADD COLUMN vendor text NOT NULL DEFAULT '',
    ADD COLUMN product_class text NOT NULL DEFAULT '',
    ADD COLUMN version text NOT NULL DEFAULT '',
    ADD COLUMN actor text NOT NULL DEFAULT '',
    ADD COLUMN deleted_at timestamptz,
    ADD COLUMN deleted_by text;

CREATE INDEX files_operator_idx ON files (created_at) WHERE origin = 'operator';

CREATE TABLE campaigns (
    id text PRIMARY KEY,
    file_id text NOT NULL,
    definition jsonb NOT NULL,
    state text NOT NULL,
    reason text NOT NULL DEFAULT '',
    actor text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL,
    version bigint NOT NULL
);

CREATE INDEX campaigns_file_idx ON campaigns (file_id, state);

CREATE TABLE campaign_batches (
    campaign_id text NOT NULL,
    batch integer NOT NULL,
    size integer NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    failed integer,
    failure_rate double precision,
    PRIMARY KEY (campaign_id, batch)
);

CREATE TABLE campaign_devices (
    campaign_id text NOT NULL,
    device_id text NOT NULL,
    batch integer NOT NULL,
    task_id text NOT NULL,
    queued_at timestamptz NOT NULL,
    outcome text,
    detail text NOT NULL DEFAULT '',
    finished_at timestamptz,
    PRIMARY KEY (campaign_id, device_id)
);

CREATE INDEX campaign_devices_batch_idx ON campaign_devices (campaign_id, batch);

CREATE TABLE bulk_jobs (
    id text PRIMARY KEY,
    task_type text NOT NULL,
    definition jsonb NOT NULL,
    matched integer NOT NULL,
    rate double precision NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE bulk_tasks (
    bulk_id text NOT NULL,
    device_id text NOT NULL,
    task_id text,
    connection_request text,
    queued_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bulk_id, device_id)
);
