-- The read model: projections of the device events, rebuilt at will by
-- `acs projections rebuild`. Every row is derived from events only (no clock reads).

CREATE TABLE projection_tracking (
    name text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0
);

INSERT INTO projection_tracking (name, position) VALUES ('read_model', 0);

CREATE TABLE devices (
    id text PRIMARY KEY,
    aggregate_id uuid NOT NULL UNIQUE,
    manufacturer text NOT NULL,
    oui text NOT NULL,
    product_class text NOT NULL,
    serial_number text NOT NULL,
    software_version text,
    hardware_version text,
    ip_address text,
    source_ip text,
    connection_request_url text,
    periodic_inform_interval integer,
    last_inform timestamptz NOT NULL,
    last_event_codes text[] NOT NULL DEFAULT '{}',
    first_seen timestamptz NOT NULL,
    event_count bigint NOT NULL DEFAULT 0,
    tags text[] NOT NULL DEFAULT '{}'
);

CREATE INDEX devices_last_inform_idx ON devices (last_inform);

CREATE TABLE parameters (
    device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    name text NOT NULL,
    value text NOT NULL,
    type text NOT NULL,
    writable boolean,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (device_id, name)
);

CREATE TABLE parameter_history (
    device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    name text NOT NULL,
    value text NOT NULL,
    type text NOT NULL,
    changed_at timestamptz NOT NULL,
    event_position bigint NOT NULL,
    cause text NOT NULL,
    task_id text,
    PRIMARY KEY (device_id, name, event_position)
);

CREATE TABLE tasks (
    id text PRIMARY KEY,
    device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    type text NOT NULL,
    parameters jsonb NOT NULL,
    status text NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL,
    sent_at timestamptz,
    completed_at timestamptz,
    result jsonb,
    fault jsonb
);

CREATE INDEX tasks_device_idx ON tasks (device_id, created_at);
CREATE INDEX tasks_open_idx ON tasks (status) WHERE status IN ('pending', 'sent');
