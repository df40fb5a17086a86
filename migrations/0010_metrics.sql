-- Counters for GET /metrics, maintained by the projection runner in each batch's transaction
-- (acs/projections/counters.py): sessions, Informs by event code, RPCs by method, CPE faults
-- by method and code, connection requests by outcome, finished tasks by status. Part of the
-- read model: rebuilt with it.

CREATE TABLE metrics_counters (
    name text NOT NULL,
    labels jsonb NOT NULL DEFAULT '{}',
    value bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (name, labels)
);

-- backfill: the events the read model applied before this table existed
WITH applied AS (
    SELECT topic, convert_from(state, 'UTF8')::jsonb AS e FROM device_events
    WHERE notification_id <= (SELECT position FROM projection_tracking WHERE name = 'read_model')
        AND topic IN ('InformReceived.v1', 'RpcSent.v1', 'RpcFaulted.v1',
                      'ConnectionRequested.v1', 'TaskCompleted.v1', 'TaskFaulted.v1')
), informs AS (
    SELECT row_number() OVER () AS n, e FROM applied WHERE topic = 'InformReceived.v1'
), codes AS (
    -- an event code counts once per Inform, as in the projection
    SELECT DISTINCT i.n, code
    FROM informs AS i, jsonb_array_elements_text(i.e -> 'event_codes') AS code
)
INSERT INTO metrics_counters (name, labels, value)
SELECT 'acs_sessions_total', '{}'::jsonb, count(*) FROM informs HAVING count(*) > 0
UNION ALL
SELECT 'acs_informs_total', jsonb_build_object('event_code', code), count(*) FROM codes
    GROUP BY code
UNION ALL
SELECT 'acs_rpcs_total', jsonb_build_object('method', e ->> 'method'), count(*) FROM applied
    WHERE topic = 'RpcSent.v1' GROUP BY e ->> 'method'
UNION ALL
SELECT 'acs_cpe_faults_total',
    jsonb_build_object('code', e ->> 'fault_code', 'method', e ->> 'method'), count(*)
    FROM applied WHERE topic = 'RpcFaulted.v1' GROUP BY e ->> 'fault_code', e ->> 'method'
UNION ALL
SELECT 'acs_connection_requests_total', jsonb_build_object('outcome', e ->> 'outcome'),
    count(*) FROM applied WHERE topic = 'ConnectionRequested.v1' GROUP BY e ->> 'outcome'
UNION ALL
SELECT 'acs_tasks_finished_total', jsonb_build_object('status', 'done'), count(*) FROM applied
    WHERE topic = 'TaskCompleted.v1' HAVING count(*) > 0
UNION ALL
SELECT 'acs_tasks_finished_total', jsonb_build_object('status', 'fault'), count(*) FROM applied
    WHERE topic = 'TaskFaulted.v1' HAVING count(*) > 0;
