-- The tables written on every request no longer carry a foreign key to tenants, and codes none to flows.
--
-- Each insert into a table with a foreign key to tenants runs
-- `SELECT 1 FROM tenants WHERE id = $1 FOR KEY SHARE`. That locks the tenant's one row. So every request of a
-- tenant wrote a lock onto the same row: a WAL record each time, and a MultiXact whenever two transactions
-- overlapped. Measured on 2 CPUs (npm run bench, alternating runs): PostgreSQL CPU per reset request went from
-- 0.35-0.40 ms to 0.30-0.32 ms, and reset requests per second rose 10-15 %.
--
-- What the keys gave, and what stands in for it now:
-- - A tenant id in these rows always comes from a tenant the server has just read (the request's policy), never
--   from a client.
-- - The rows are short-lived: flows and sessions expire and are purged, outbox rows are sent, oidc-provider's
--   models expire.
-- - ON DELETE CASCADE from tenants: Nyckel has no tenant deletion. When it gets one, it must delete the tenant's
--   flows, verification_codes, sessions, outbox and oidc_models rows itself, in the same transaction.
-- - verification_codes.flow_id: the check cost 34 us per code (auto_explain during the benchmark), a quarter of
--   the statement that writes a reset step, and it only ever found the flow that same statement had just moved.
--   Its ON DELETE CASCADE is now the purge's own: deleteExpiredFlows deletes the flows' codes in the same
--   statement (store/queries/flows.ts).
-- Keys to users stay (sessions.user_id, flows.user_id): their lock falls on one user, and only at sign-in.
ALTER TABLE flows DROP CONSTRAINT IF EXISTS flows_tenant_id_fkey;
ALTER TABLE verification_codes DROP CONSTRAINT IF EXISTS verification_codes_tenant_id_fkey;
ALTER TABLE verification_codes DROP CONSTRAINT IF EXISTS verification_codes_flow_id_fkey;
ALTER TABLE sessions DROP CONSTRAINT IF EXISTS sessions_tenant_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_tenant_id_fkey;
ALTER TABLE oidc_models DROP CONSTRAINT IF EXISTS oidc_models_tenant_id_fkey;
