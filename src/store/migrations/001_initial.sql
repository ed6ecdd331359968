-- Nyckel's initial schema. Forward-only: later changes are new files.

CREATE TABLE tenants (
  id            uuid PRIMARY KEY,
  name          text NOT NULL UNIQUE,            -- canonical (lower-case) tenant name, e.g. contoso
  display_name  text NOT NULL,
  settings      jsonb NOT NULL DEFAULT '{}',     -- sspr {mode, groupIds}, branding, email
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id                    uuid PRIMARY KEY,      -- the object id (oid / sub)
  tenant_id             uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  display_name          text,
  given_name            text,
  surname               text,
  account_enabled       boolean NOT NULL DEFAULT true,
  email                 text,                  -- contact email, canonical form
  email_verified        boolean NOT NULL DEFAULT false,
  password_hash         text,
  password_changed_at   timestamptz,
  force_password_change boolean NOT NULL DEFAULT false,
  sessions_valid_after  timestamptz NOT NULL DEFAULT to_timestamp(0),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_tenant ON users (tenant_id);

CREATE TABLE identities (
  id                  uuid PRIMARY KEY,
  tenant_id           uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id             uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  sign_in_type        text NOT NULL CHECK (sign_in_type IN ('emailAddress', 'userName', 'federated')),
  issuer              text NOT NULL,
  issuer_assigned_id  text NOT NULL,             -- as entered (NFC, trimmed)
  canonical_id        text NOT NULL,             -- canonicalise(): the only form ever compared
  UNIQUE (tenant_id, sign_in_type, canonical_id)
);
CREATE INDEX identities_user ON identities (user_id);

CREATE TABLE groups (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name          text NOT NULL,
  canonical_name text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, canonical_name)
);

CREATE TABLE group_members (
  group_id  uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id   uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE user_flows (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name        text NOT NULL,                     -- B2C_1_signin as shown
  canonical_name text NOT NULL,                  -- lower-case: policy matching ignores case
  type        text NOT NULL CHECK (type IN ('signIn', 'signUpOrSignIn', 'passwordReset')),
  settings    jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, canonical_name)
);

CREATE TABLE flows (
  id          text PRIMARY KEY,                  -- 128-bit random, base64url
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind        text NOT NULL,                     -- password_reset | sign_in | sign_up
  state       text NOT NULL,
  csrf_hash   text NOT NULL,                     -- HMAC of the flow's CSRF token
  browser     boolean NOT NULL DEFAULT true,     -- browser flows also require the binding cookie
  data        jsonb NOT NULL DEFAULT '{}',
  user_id     uuid REFERENCES users(id) ON DELETE CASCADE,
  version     integer NOT NULL DEFAULT 0,        -- optimistic lock: every transition bumps it
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flows_user ON flows (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX flows_expires ON flows (expires_at);

CREATE TABLE verification_codes (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  flow_id       text NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
  purpose       text NOT NULL,
  address       text NOT NULL,                   -- canonical address the code was sent to
  code_hmac     text NOT NULL,                   -- HMAC-SHA256(server key, flow | address | code)
  attempts      integer NOT NULL DEFAULT 0,
  max_attempts  integer NOT NULL,
  expires_at    timestamptz NOT NULL,
  consumed_at   timestamptz,
  superseded_at timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verification_codes_flow ON verification_codes (flow_id);

CREATE TABLE sessions (
  id            text PRIMARY KEY,                -- SHA-256 of the cookie token; the token itself is never stored
  tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  auth_time     timestamptz NOT NULL DEFAULT now(),
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  ip            text,
  user_agent    text
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE outbox (
  id            uuid PRIMARY KEY,
  tenant_id     uuid REFERENCES tenants(id) ON DELETE CASCADE,
  template      text NOT NULL,
  recipient     text NOT NULL,
  locale        text NOT NULL,
  subject       text NOT NULL,
  body_text     text NOT NULL,
  body_html     text NOT NULL,
  holds_secret  boolean NOT NULL DEFAULT false,  -- bodies with a code are scrubbed after delivery
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
  attempts      integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error    text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE status = 'pending';

-- The dev inbox: what would have been sent, kept for /dev/mail (embedded default only).
CREATE TABLE dev_mail (
  id          uuid PRIMARY KEY,
  recipient   text NOT NULL,
  subject     text NOT NULL,
  body_text   text NOT NULL,
  body_html   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_events (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid,
  at          timestamptz NOT NULL DEFAULT now(),
  type        text NOT NULL,                     -- password_reset.completed, sign_in.failed, …
  result      text NOT NULL,                     -- success | failure
  actor       text,                              -- user:<id> | admin:<name> | anonymous
  target      text,
  ip          text,
  user_agent  text,
  details     jsonb NOT NULL DEFAULT '{}'       -- never a password, code or token
);
CREATE INDEX audit_events_tenant_at ON audit_events (tenant_id, at DESC);

CREATE TABLE admin_tokens (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  token_hash  text NOT NULL UNIQUE,              -- SHA-256 of the token
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
