-- Webhooks: operator configuration (who created and who deleted each one, and when; a
-- deleted webhook keeps its row) and, per webhook, how far along the notification log of
-- device_events it has delivered, with the state of its retries.

CREATE TABLE webhooks (
    id text PRIMARY KEY,
    url text NOT NULL,
    event_types text[] NOT NULL DEFAULT '{}',
    sealed_secret text NOT NULL,
    actor text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_by text,
    deleted_at timestamptz
);

CREATE INDEX webhooks_active_idx ON webhooks (created_at) WHERE deleted_at IS NULL;

-- The tracking position advances in the same transaction that records a delivery.
CREATE TABLE webhook_deliveries (
    webhook_id text PRIMARY KEY REFERENCES webhooks (id),
    position bigint NOT NULL,
    failures integer NOT NULL DEFAULT 0,
    last_attempt_at timestamptz,
    last_success_at timestamptz,
    last_http_status integer,
    last_error text,
    next_attempt_at timestamptz
);
