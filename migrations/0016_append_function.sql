-- Appending events in one statement. The event store locks device_events for every insert
-- so that the notification log is gap-free in commit order, and notifies the projections.
-- Sent as separate statements, the lock was held while the client received the insert's
-- result and sent COMMIT: every other writer waited on that round trip. Run by this function
-- in an autocommit statement, the lock is taken, the rows inserted and the transaction
-- committed in the server; the caller hears back (the rows' positions, in the order given)
-- only once the commit is durable.
CREATE FUNCTION acs_append_events(events stored_event_uuid[])
RETURNS TABLE (notification_id bigint)
LANGUAGE plpgsql
SET lock_timeout = '10s'
AS $$
BEGIN
    LOCK TABLE device_events IN EXCLUSIVE MODE;
    NOTIFY device_events;
    RETURN QUERY
        INSERT INTO device_events AS t (originator_id, originator_version, topic, state)
        SELECT e.originator_id, e.originator_version, e.topic, e.state
        FROM unnest(events) WITH ORDINALITY AS e
        ORDER BY e.ordinality
        RETURNING t.notification_id;
END
$$;
