-- Everything the whole of CWMP needs beyond the first sessions: attributes and staleness of
-- parameters, RPC methods of devices, uploaded files, the secret key.

ALTER TABLE parameters ADD COLUMN stale boolean NOT NULL DEFAULT false;

-- Notification and access list, known from GetParameterAttributes or a successful
-- SetParameterAttributes; kept apart because a parameter's value may not be known yet.
CREATE TABLE parameter_attributes (
    device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    name text NOT NULL,
    notification integer,
    access_list text[],
    PRIMARY KEY (device_id, name)
);

ALTER TABLE devices
    ADD COLUMN rpc_methods text[],
    ADD COLUMN connection_request_outcome text,
    ADD COLUMN connection_request_at timestamptz;

CREATE INDEX tasks_transfers_idx ON tasks (sent_at)
    WHERE status = 'sent' AND type IN ('download', 'upload');

-- Files the ACS stores: uploads from devices (and, later, firmware for them).
CREATE TABLE files (
    id text PRIMARY KEY,
    device_id text,
    task_id text,
    file_type text NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL,
    sha256 text NOT NULL,
    data bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX files_device_idx ON files (device_id, created_at);

-- The key that seals secrets when ACS_SECRET_KEY is not set.
CREATE TABLE acs_keys (
    name text PRIMARY KEY,
    value text NOT NULL
);
