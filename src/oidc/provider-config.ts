// The configuration of a tenant's oidc-provider: B2C's endpoint paths, claims and lifetimes, Nyckel's
// interactions, and the protocol rules (exact redirect URIs, PKCE S256 for public clients, rotating refresh
// tokens, no consent screen). Defaults that would only print "you should change this" are set explicitly.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from './oidc-provider.ts';
import type { Services } from '../services.ts';
import type { CookiePolicy } from '../http/cookies.ts';
import { adapterFor } from './adapter.ts';
import { extraTokenClaims, findAccount } from './claims.ts';
import { interactionUrl, loadExistingGrant, nyckelPolicy } from './interaction-policy.ts';
import { lifetimes, policyOf } from './request-context.ts';
import { logoutSource, postLogoutSuccessSource, renderError } from './provider-pages.ts';

/** B2C's endpoint paths below `/{tenant}/{policy}`; discovery is oidc-provider's fixed `/.well-known/…`. */
export const ROUTES = {
  authorization: '/oauth2/v2.0/authorize',
  token: '/oauth2/v2.0/token',
  end_session: '/oauth2/v2.0/logout',
  jwks: '/discovery/v2.0/keys',
  userinfo: '/openid/v2.0/userinfo',
  revocation: '/oauth2/v2.0/revoke',
} as const;

/** The resource an app gets an access token for when it asks for its own client id as a scope (B2C). */
export const appResource = (clientId: string) => `urn:nyckel:app:${clientId}`;

const epoch = () => Math.floor(Date.now() / 1000);
const lt = (ctx: KoaContextWithOIDC | undefined) => lifetimes(policyOf(ctx)?.settings);

export function providerConfiguration(s: Services, opts: { tenantId: string; cookies: CookiePolicy; jwks: Array<Record<string, string>> }): Configuration {
  const prefix = (name: string, host: boolean) => (opts.cookies.secure ? `${host ? '__Host-' : '__Secure-'}${name}` : name);
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: opts.cookies.secure };
  return {
    adapter: adapterFor(s.db, opts.tenantId),
    jwks: { keys: opts.jwks },
    findAccount: findAccount(s) as unknown as Configuration['findAccount'],
    extraTokenClaims: extraTokenClaims as unknown as Configuration['extraTokenClaims'],
    claims: {
      acr: null,
      sid: null,
      iss: null,
      auth_time: null,
      // B2C puts the application claims of the user flow in every ID token; `openid` is all it takes.
      openid: ['sub', 'oid', 'ver', 'tfp', 'emails', 'name', 'given_name', 'family_name', 'auth_time', 'at_hash'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['emails'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // oidc-provider 9 accepts only S256; public clients must use it (B2C: AADB2C99059).
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    allowOmittingSingleRegisteredRedirectUri: false,
    enabledJWA: { idTokenSigningAlgValues: ['RS256'], userinfoSigningAlgValues: ['RS256'] },
    clientBasedCORS: (ctx, origin, client) =>
      (ctx.oidc.route === 'userinfo' || client.clientAuthMethod === 'none') && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    cookies: {
      names: { session: prefix(`nyckel-oidc-${opts.tenantId}`, true), interaction: prefix('nyckel-interaction', false), resume: prefix('nyckel-resume', false) },
      keys: [s.keys.hmac('sessions', 'oidc-cookies')],
      long: cookieOptions,
      short: cookieOptions,
    },
    routes: ROUTES,
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => {
          if (oneOf) return oneOf.length === 1 ? oneOf[0] : oneOf;
          const scope = ctx.oidc.params?.scope;
          return typeof scope === 'string' && scope.split(' ').includes(client.clientId) ? appResource(client.clientId) : undefined;
        },
        useGrantedResource: async (ctx, model) => model.resource === appResource(ctx.oidc.client?.clientId ?? ''),
        getResourceServerInfo: async (ctx, indicator, client) => {
          if (indicator !== appResource(client.clientId)) throw new errors.InvalidTarget();
          return { scope: client.clientId, audience: client.clientId, accessTokenTTL: lt(ctx).accessToken, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    interactions: { url: interactionUrl, policy: nyckelPolicy(s, opts.cookies) },
    loadExistingGrant,
    renderError,
    // Every use of a refresh token returns a new one; past the sliding window the user signs in again.
    rotateRefreshToken: (ctx) => {
      const token = ctx.oidc.entities.RefreshToken;
      if (token && token.totalLifetime() >= lt(ctx).refreshWindow) throw new errors.InvalidGrant('AADB2C90080: The provided grant has expired. Please re-authenticate and try again.');
      return true;
    },
    ttl: {
      AccessToken: (ctx) => lt(ctx).accessToken,
      // SECURITY.md: authorization codes are single use and short-lived.
      AuthorizationCode: 300,
      IdToken: (ctx) => lt(ctx).idToken,
      RefreshToken: (ctx, token, client) => {
        const { refreshToken, refreshWindow } = lt(ctx);
        // B2C: a single-page app's refresh tokens (held by the browser) live 24 hours, without sliding.
        const window = client.applicationType === 'web' && client.clientAuthMethod === 'none' ? Math.min(refreshWindow, 86_400) : refreshWindow;
        const started = (token as { iiat?: number }).iiat ?? epoch();
        return Math.max(1, Math.min(refreshToken, window - (epoch() - started)));
      },
      // A grant outlives every refresh token issued under it.
      Grant: (ctx) => lt(ctx).refreshWindow,
      Interaction: 3600,
      Session: s.config.sessions.ttlSeconds,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
  } as Configuration;
}
