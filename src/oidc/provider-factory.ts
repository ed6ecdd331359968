// One oidc-provider per tenant, built on first use and kept in a small LRU cache. An entry lives one minute,
// so a key rotated by another process (or the CLI) is picked up soon; rotating here drops it at once.
// All policies of a tenant share the provider: the policy comes from the request (see b2c-routes.ts).
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { OidcProvider } from './oidc-provider.ts';
import type { Services } from '../services.ts';
import { sessionCookieName, type CookiePolicy } from '../http/cookies.ts';
import { endSession } from '../sessions/sessions.ts';
import { loadSigningKeys } from './keys.ts';
import { providerConfiguration } from './provider-config.ts';
import { recordIssuedValue } from './claims.ts';
import { secretMatches } from './applications.ts';
import { b2cErrorDescriptions, rememberErrorDetail } from './b2c-errors.ts';
import { acrOf, policyOf } from './request-context.ts';

export interface TenantProvider {
  provider: Provider;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface ProviderCache {
  get(tenantId: string): Promise<TenantProvider>;
  invalidate(tenantId: string): void;
}

const MAX_ENTRIES = 200;
const TTL_MS = 60_000;

export const issuerOf = (publicUrl: string, tenantId: string) => `${new URL(publicUrl).origin}/${tenantId}/v2.0/`;

type Next = () => Promise<void>;

/** MSAL builds its account id from `client_info` (B2C: uid = `{oid}-{policy}`, utid = tenant id). */
async function clientInfo(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
  await next();
  const body = ctx.body as Record<string, unknown> | undefined;
  const requested = (ctx.oidc?.body as Record<string, unknown> | undefined)?.client_info === '1';
  const policy = policyOf(ctx);
  const accountId = ctx.oidc?.entities.Account?.accountId;
  if (ctx.oidc?.route === 'token' && ctx.status === 200 && requested && body?.id_token && policy && accountId) {
    body.client_info = Buffer.from(JSON.stringify({ uid: `${accountId}-${acrOf(policy)}`, utid: policy.tenant.id })).toString('base64url');
  }
}

/** Signing out of an app through the logout endpoint also ends the Nyckel browser session (as in B2C). */
function endNyckelSession(s: Services, cookies: CookiePolicy) {
  return async (ctx: KoaContextWithOIDC, next: Next): Promise<void> => {
    await next();
    const policy = policyOf(ctx);
    if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303 || !policy) return;
    const name = sessionCookieName(cookies, policy.tenant.id);
    await endSession(s, ctx.cookies.get(name, { signed: false }));
    ctx.cookies.set(name, null, { path: '/', httpOnly: true, sameSite: 'lax', secure: cookies.secure, signed: false, overwrite: true });
  };
}

async function build(s: Services, cookies: CookiePolicy, tenantId: string): Promise<TenantProvider> {
  const jwks = await loadSigningKeys(s.db, s.keys, tenantId);
  const provider = new OidcProvider(issuerOf(s.config.publicUrl, tenantId), providerConfiguration(s, { tenantId, cookies, jwks }));
  // b2c-routes.ts sets Host and X-Forwarded-Proto from the configured public URL; never from the client.
  provider.proxy = true;
  // Client secrets are stored hashed (applications.ts); oidc-provider exposes this comparison for that purpose.
  provider.Client.prototype.compareClientSecret = async function (this: { clientSecret?: string }, actual: string) {
    return secretMatches(this.clientSecret, actual);
  };
  // The ID token's at_hash needs the issued access token value, which oidc-provider does not keep.
  const saveAccessToken = provider.AccessToken.prototype.save;
  provider.AccessToken.prototype.save = async function (this: InstanceType<typeof provider.AccessToken>) {
    const value = await saveAccessToken.call(this);
    recordIssuedValue(this, value);
    return value;
  };
  provider.use(b2cErrorDescriptions);
  provider.use(clientInfo);
  provider.use(endNyckelSession(s, cookies));
  for (const event of ['authorization.error', 'grant.error', 'userinfo.error', 'end_session.error', 'end_session_confirm.error', 'revocation.error'] as const) {
    (provider as unknown as EventEmitter).on(event, rememberErrorDetail);
  }
  provider.on('server_error', (_ctx: unknown, err: unknown) => s.log.error({ err, tenantId }, 'oidc server error'));
  // Koa's own error event (a fault outside oidc-provider's handlers); logged instead of printed to stderr.
  (provider as unknown as EventEmitter).on('error', (err: unknown) => s.log.error({ err, tenantId }, 'oidc request failed'));
  const callback = provider.callback();
  return { provider, handle: async (req, res) => void (await callback(req, res)) };
}

export function createProviderCache(s: Services, cookies: CookiePolicy): ProviderCache {
  const entries = new Map<string, { at: number; value: Promise<TenantProvider> }>();
  return {
    async get(tenantId) {
      const hit = entries.get(tenantId);
      if (hit && Date.now() - hit.at < TTL_MS) {
        entries.delete(tenantId);
        entries.set(tenantId, hit); // most recently used last
        return hit.value;
      }
      const value = build(s, cookies, tenantId);
      entries.set(tenantId, { at: Date.now(), value });
      value.catch(() => entries.get(tenantId)?.value === value && entries.delete(tenantId));
      while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
      return value;
    },
    invalidate(tenantId) {
      entries.delete(tenantId);
    },
  };
}
