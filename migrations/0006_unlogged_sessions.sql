-- Open CWMP sessions are transient: after a database crash every CPE simply opens a new
-- session. An unlogged table spares each session's claim and end a WAL flush.

ALTER TABLE cwmp_sessions SET UNLOGGED;
