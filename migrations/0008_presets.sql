-- Presets as the read model knows them: the latest definition of each, or its deletion.
-- Tasks a preset queues carry the actor 'preset:<name>'.

CREATE TABLE presets (
    name text PRIMARY KEY,
    definition jsonb NOT NULL,
    weight integer NOT NULL DEFAULT 0,
    version bigint NOT NULL,
    updated_at timestamptz NOT NULL,
    actor text NOT NULL,
    deleted boolean NOT NULL DEFAULT false
);

CREATE INDEX tasks_actor_idx ON tasks (actor, status);
