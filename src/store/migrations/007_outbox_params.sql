-- Outbox rows keep what a mail is rendered from — template, language (locale) and parameters (params) — and no
-- longer the rendered bodies: the dispatcher renders at delivery. A rendered code mail is about 2 KB; each row
-- was written three times (queued, claimed, marked sent), its bodies copied into every new version and its WAL,
-- so on a busy server the outbox filled shared buffers with bodies nobody reads again. Parameters are a few
-- hundred bytes. The code is one of them until delivery, and is removed from them then (as the body was
-- scrubbed).
-- Rows queued before this migration (by a server not yet upgraded) keep their bodies and no params; the
-- dispatcher still delivers them as they are.
ALTER TABLE outbox ADD COLUMN params jsonb;
ALTER TABLE outbox ALTER COLUMN body_text DROP NOT NULL, ALTER COLUMN body_html DROP NOT NULL;
