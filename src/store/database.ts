// Table types for Kysely. One interface per table in migrations/; keep them in step.
import type { ColumnType, Generated, Kysely } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string | T | undefined, string | T>;

export interface TenantSettings {
  sspr?: { mode: 'none' | 'selected' | 'all'; groupIds?: string[] };
  branding?: Record<string, string>;
  email?: Record<string, string>;
}

export interface TenantsTable {
  id: string;
  name: string;
  display_name: string;
  settings: Json<TenantSettings>;
  created_at: Timestamp;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  display_name: string | null;
  given_name: string | null;
  surname: string | null;
  account_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  email: string | null;
  email_verified: ColumnType<boolean, boolean | undefined, boolean>;
  password_hash: string | null;
  password_changed_at: Date | null;
  force_password_change: ColumnType<boolean, boolean | undefined, boolean>;
  sessions_valid_after: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type SignInType = 'emailAddress' | 'userName' | 'federated';

export interface IdentitiesTable {
  id: string;
  tenant_id: string;
  user_id: string;
  sign_in_type: SignInType;
  issuer: string;
  issuer_assigned_id: string;
  canonical_id: string;
}

export interface GroupsTable {
  id: string;
  tenant_id: string;
  name: string;
  canonical_name: string;
  created_at: Timestamp;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
}

export type UserFlowType = 'signIn' | 'signUpOrSignIn' | 'passwordReset';

export interface UserFlowSettings {
  identityType?: 'email' | 'username';
  passwordComplexity?: 'simple' | 'strong' | 'nist' | 'custom';
  customPolicy?: { minLength: number; maxLength: number; minClasses: number };
  /** 'inline' (default) or 'legacy': return AADB2C90118 to the app. */
  passwordReset?: 'inline' | 'legacy';
  resetEndsSignedIn?: boolean;
  defaultLanguage?: string;
  languages?: string[];
  tokenLifetimes?: { idTokenMinutes?: number; accessTokenMinutes?: number; refreshTokenDays?: number; refreshWindowDays?: number };
}

export interface UserFlowsTable {
  id: string;
  tenant_id: string;
  name: string;
  canonical_name: string;
  type: UserFlowType;
  settings: Json<UserFlowSettings>;
  created_at: Timestamp;
}

export interface FlowsTable {
  id: string;
  tenant_id: string;
  kind: string;
  state: string;
  csrf_hash: string;
  browser: ColumnType<boolean, boolean | undefined, boolean>;
  data: Json<Record<string, unknown>>;
  user_id: string | null;
  version: Generated<number>;
  expires_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface VerificationCodesTable {
  id: string;
  tenant_id: string;
  flow_id: string;
  purpose: string;
  address: string;
  code_hmac: string;
  attempts: Generated<number>;
  max_attempts: number;
  expires_at: Timestamp;
  consumed_at: Date | null;
  superseded_at: Date | null;
  created_at: Timestamp;
}

export interface SessionsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  auth_time: Timestamp;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Date | null;
  ip: string | null;
  user_agent: string | null;
}

export interface OutboxTable {
  id: string;
  tenant_id: string | null;
  template: string;
  recipient: string;
  locale: string;
  subject: string;
  /** Rows queued before migration 007 only (rendered bodies); newer rows are rendered from `params` at delivery. */
  body_text: string | null;
  body_html: string | null;
  /** What the template is rendered with (mail/templates.ts MailParams); the code is removed once delivered. */
  params: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  holds_secret: ColumnType<boolean, boolean | undefined, boolean>;
  status: ColumnType<'pending' | 'sent' | 'dead', 'pending' | 'sent' | 'dead' | undefined, 'pending' | 'sent' | 'dead'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: Date | null;
}

export interface DevMailTable {
  id: string;
  recipient: string;
  subject: string;
  body_text: string;
  body_html: string;
  created_at: Timestamp;
}

export interface AuditEventsTable {
  id: Generated<string>;
  tenant_id: string | null;
  at: Timestamp;
  type: string;
  result: 'success' | 'failure';
  actor: string | null;
  target: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Json<Record<string, unknown>>;
}

export interface AdminTokensTable {
  id: string;
  name: string;
  token_hash: string;
  created_at: Timestamp;
  revoked_at: Date | null;
}

export type ApplicationType = 'web' | 'spa' | 'native';

export interface ApplicationsTable {
  id: string;
  tenant_id: string;
  name: string;
  type: ApplicationType;
  redirect_uris: Json<string[]>;
  secret_hashes: Json<string[]>;
  built_in: string | null;
  created_at: Timestamp;
}

export interface SigningKeysTable {
  kid: string;
  tenant_id: string;
  alg: string;
  public_jwk: Json<Record<string, string>>;
  private_jwk: string;
  created_at: Timestamp;
  retired_at: Date | null;
  publish_until: Date | null;
}

export interface OidcModelsTable {
  tenant_id: string;
  model: string;
  id: string;
  payload: Json<Record<string, unknown>>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  expires_at: Date | null;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  identities: IdentitiesTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  user_flows: UserFlowsTable;
  flows: FlowsTable;
  verification_codes: VerificationCodesTable;
  sessions: SessionsTable;
  outbox: OutboxTable;
  dev_mail: DevMailTable;
  audit_events: AuditEventsTable;
  admin_tokens: AdminTokensTable;
  applications: ApplicationsTable;
  signing_keys: SigningKeysTable;
  oidc_models: OidcModelsTable;
}

export type Db = Kysely<Database>;

/** A rate-limit counter as read from rate_limits (limits/postgres-store.ts): `expire` in epoch ms, as text. */
export type CounterRow = { key: string; points: number; expire: string | null };
