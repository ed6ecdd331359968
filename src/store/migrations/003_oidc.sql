-- OIDC / OAuth 2.0 for apps: applications (clients), per-tenant signing keys, and oidc-provider's models.

CREATE TABLE applications (
  id            uuid PRIMARY KEY,                -- the client id
  tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name          text NOT NULL,
  type          text NOT NULL CHECK (type IN ('web', 'spa', 'native')),
  redirect_uris jsonb NOT NULL DEFAULT '[]',     -- matched exactly
  secret_hashes jsonb NOT NULL DEFAULT '[]',     -- web apps: SHA-256 of each secret; the secret itself is never stored
  built_in      text,                            -- 'run-now': the test application of "Run now"
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, built_in)
);
CREATE INDEX applications_tenant ON applications (tenant_id);

CREATE TABLE signing_keys (
  kid            text PRIMARY KEY,
  tenant_id      uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  alg            text NOT NULL DEFAULT 'RS256',
  public_jwk     jsonb NOT NULL,
  private_jwk    text NOT NULL,                  -- AES-256-GCM under the server secret: base64url(iv | tag | ciphertext)
  created_at     timestamptz NOT NULL DEFAULT now(),
  retired_at     timestamptz,                    -- no longer signs
  publish_until  timestamptz                     -- stays in the JWKS until the last token it signed has expired
);
-- At most one signing key per tenant: concurrent first starts cannot create two.
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (tenant_id) WHERE retired_at IS NULL;

-- oidc-provider's storage: one jsonb row per model instance (sessions, grants, codes, tokens, interactions).
CREATE TABLE oidc_models (
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  model       text NOT NULL,
  id          text NOT NULL,
  payload     jsonb NOT NULL,
  grant_id    text,
  uid         text,
  user_code   text,
  account_id  text,                              -- lets a password change revoke everything of one user
  expires_at  timestamptz,
  PRIMARY KEY (tenant_id, model, id)
);
CREATE INDEX oidc_models_grant ON oidc_models (tenant_id, grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_models_uid ON oidc_models (tenant_id, uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_models_user_code ON oidc_models (tenant_id, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_models_account ON oidc_models (tenant_id, account_id) WHERE account_id IS NOT NULL;
CREATE INDEX oidc_models_expires ON oidc_models (expires_at) WHERE expires_at IS NOT NULL;
