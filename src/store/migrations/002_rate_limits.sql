-- Counters for rate-limiter-flexible's PostgreSQL store (used when several processes share PostgreSQL
-- without Redis). Same shape the library would create itself.
CREATE TABLE rate_limits (
  key     varchar(255) PRIMARY KEY,
  points  integer NOT NULL DEFAULT 0,
  expire  bigint
);
