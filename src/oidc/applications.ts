// Applications (OAuth clients) of a tenant: web apps (confidential, client secret), single-page apps and native
// apps (public, PKCE). Redirect URIs are matched exactly. A web app's secret is shown once at creation and
// stored only as a SHA-256 hash: it is 256 random bits, so a fast hash is as irreversible as a slow one, and
// Nyckel never needs it back (no HS256 signing, no client_secret_jwt — see provider-config.ts).
import { createHash, randomBytes } from 'node:crypto';
import { NyckelError } from '../errors.ts';
import type { ApplicationType, Db } from '../store/database.ts';
import { safeEqual } from '../security/secrets.ts';
import { findBuiltInApplication, insertApplication, listApplications, type ApplicationRow } from '../store/queries/applications.ts';

export const SECRET_MARKER = 'nyckel-sha256:';

export interface ApplicationInput {
  name: string;
  type: ApplicationType;
  redirectUris: string[];
}

export interface CreatedApplication {
  client_id: string;
  client_secret?: string;
  name: string;
  type: ApplicationType;
  redirect_uris: string[];
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('base64url');

/** Checks a presented client secret against the stored hashes (constant time per comparison). */
export function secretMatches(stored: string | undefined, presented: unknown): boolean {
  if (typeof stored !== 'string' || !stored.startsWith(SECRET_MARKER) || typeof presented !== 'string' || presented.length > 512) return false;
  const hash = hashSecret(presented);
  let match = false;
  for (const candidate of stored.slice(SECRET_MARKER.length).split(',')) match = safeEqual(candidate, hash) || match;
  return match;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Redirect URIs the way B2C accepts them: https (http only on loopback), or a custom scheme for native apps. */
export function checkRedirectUri(type: ApplicationType, value: string): string {
  const url = URL.parse(value);
  const bad = (why: string) => new NyckelError('request.invalid', 400, { message: `redirect URI ${value}: ${why}` });
  if (!url || url.href !== value && url.href !== `${value}/`) throw bad('must be an absolute URL in normalised form');
  if (url.hash || value.includes('#')) throw bad('must not contain a fragment');
  if (url.protocol === 'https:') return value;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return value;
  if (type === 'native' && /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) && !['http:', 'javascript:', 'data:', 'file:'].includes(url.protocol)) return value;
  throw bad(type === 'native' ? 'must use https, a custom scheme, or http on localhost' : 'must use https (or http on localhost)');
}

/** The oidc-provider client metadata of an application. */
export function clientMetadata(app: ApplicationRow): Record<string, unknown> {
  const confidential = app.type === 'web';
  const origins = app.redirect_uris.map((u) => URL.parse(u)?.origin).filter((o): o is string => !!o && o !== 'null');
  return {
    client_id: app.id,
    client_name: app.name,
    application_type: app.type === 'native' ? 'native' : 'web',
    redirect_uris: app.redirect_uris,
    // After sign-out an app may return to a registered redirect URI or the root of its origin.
    post_logout_redirect_uris: [...new Set([...app.redirect_uris, ...origins.map((o) => `${o}/`)])],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: confidential ? 'client_secret_post' : 'none',
    ...(confidential ? { client_secret: SECRET_MARKER + app.secret_hashes.join(',') } : {}),
  };
}

export async function createApplication(
  db: Db,
  tenantId: string,
  input: ApplicationInput & { builtIn?: string; secret?: string },
  validate: (metadata: Record<string, unknown>) => Promise<void>,
): Promise<CreatedApplication> {
  const redirectUris = [...new Set(input.redirectUris.map((u) => checkRedirectUri(input.type, u)))];
  if (redirectUris.length === 0) throw new NyckelError('request.invalid', 400, { message: 'at least one redirect URI is required' });
  const secret = input.type === 'web' ? (input.secret ?? randomBytes(32).toString('base64url')) : undefined;
  const row = { id: crypto.randomUUID(), tenant_id: tenantId, name: input.name, type: input.type, redirect_uris: redirectUris, secret_hashes: secret ? [hashSecret(secret)] : [] };
  await validate(clientMetadata({ ...row, built_in: null, created_at: new Date() }));
  const inserted = await insertApplication(db, { ...row, ...(input.builtIn ? { built_in: input.builtIn } : {}) });
  if (!inserted) throw new NyckelError('request.invalid', 409, { message: 'the application already exists' });
  return { client_id: inserted.id, ...(secret ? { client_secret: secret } : {}), name: inserted.name, type: inserted.type, redirect_uris: inserted.redirect_uris };
}

export async function listApplicationViews(db: Db, tenantId: string) {
  return (await listApplications(db, tenantId)).map((a) => ({ client_id: a.id, name: a.name, type: a.type, redirect_uris: a.redirect_uris, built_in: a.built_in, created_at: a.created_at.toISOString() }));
}

export { findBuiltInApplication };
