-- Operators' credentials. API keys are stored as the SHA-256 of the key (keys are random and
-- long, so a fast hash is enough and lets a request find its key by hash); dashboard users
-- as a scrypt hash of their password; dashboard sessions as the SHA-256 of their cookie,
-- with the CSRF token their forms must carry. Who created or revoked a key or created a user
-- is kept with it (`key:<name>`, `user:<name>`, `cli:<system user>`, `ACS_BOOTSTRAP_API_KEY`).

CREATE TABLE api_keys (
    name text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    key_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    revoked_at timestamptz,
    revoked_by text,
    last_used_at timestamptz
);

CREATE TABLE users (
    name text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL
);

CREATE TABLE dashboard_sessions (
    token_hash text PRIMARY KEY,
    user_name text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX dashboard_sessions_expiry_idx ON dashboard_sessions (expires_at);
