-- Open CWMP sessions: one row per device while a session is open, so that any worker can
-- continue a session and a device never has two at once. Rows are transient: a session
-- that ends deletes its row, an abandoned one expires.

CREATE TABLE cwmp_sessions (
    device_id text PRIMARY KEY,
    session_id text NOT NULL UNIQUE,
    state bytea NOT NULL,
    expires_at timestamptz NOT NULL
);
