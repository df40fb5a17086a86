-- HTTP Digest nonces CPEs have used (TR-069 3.4.4, RFC 7616): the highest nonce count seen
-- per nonce, so that a replayed request (same nonce and count) is refused by every worker.
-- Nonces are stateless (timestamp + HMAC) and expire by themselves; a row only outlives its
-- nonce until the next clean-up. Unlogged: no WAL per session. A PostgreSQL crash empties it,
-- which lets a request captured within ACS_CWMP_NONCE_TTL before the crash be replayed once.

CREATE UNLOGGED TABLE cwmp_nonces (
    nonce text PRIMARY KEY,
    nc bigint NOT NULL,
    expires_at timestamptz NOT NULL
);

CREATE INDEX cwmp_nonces_expires_at ON cwmp_nonces (expires_at);
