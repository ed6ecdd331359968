// B2C's URL shapes, for every tenant (name, {name}.onmicrosoft.com or id) and policy (any case):
//   /{tenant}/{policy}/v2.0/.well-known/openid-configuration      /{tenant}/v2.0/.well-known/openid-configuration?p=
//   /{tenant}/{policy}/oauth2/v2.0/authorize|token|logout|revoke   /{tenant}/oauth2/v2.0/authorize|token|logout?p=
//   /{tenant}/{policy}/discovery/v2.0/keys                        /{tenant}/discovery/v2.0/keys?p=
//   /{tenant}/{policy}/openid/v2.0/userinfo
// Each request is checked (tenant, policy, one value per parameter, no NUL) and handed to the tenant's
// provider as if it were mounted at /{tenant}/{policy}, so discovery lists that policy's endpoints.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../services.ts';
import { NyckelError } from '../errors.ts';
import { resolvePolicy } from '../http/policy-context.ts';
import type { ProviderCache } from './provider-factory.ts';
import { bindPolicy } from './request-context.ts';
import { sendPolicyNotFound, sendProtocolError } from './b2c-errors.ts';
import { PROVIDER_CSP } from './provider-pages.ts';
import { ROUTES } from './provider-config.ts';

type Method = 'GET' | 'POST' | 'OPTIONS';
interface Endpoint {
  path: string;
  internal: string;
  methods: Method[];
  /** Also reachable as /{tenant}/…?p={policy}. */
  pForm: boolean;
}

const DISCOVERY = '/.well-known/openid-configuration';
const ENDPOINTS: Endpoint[] = [
  { path: `/v2.0${DISCOVERY}`, internal: DISCOVERY, methods: ['GET', 'OPTIONS'], pForm: true },
  { path: ROUTES.authorization, internal: ROUTES.authorization, methods: ['GET'], pForm: true },
  { path: `${ROUTES.authorization}/:uid`, internal: ROUTES.authorization, methods: ['GET'], pForm: false },
  { path: ROUTES.token, internal: ROUTES.token, methods: ['POST', 'OPTIONS'], pForm: true },
  { path: ROUTES.end_session, internal: ROUTES.end_session, methods: ['GET'], pForm: true },
  { path: `${ROUTES.end_session}/confirm`, internal: `${ROUTES.end_session}/confirm`, methods: ['POST'], pForm: false },
  { path: `${ROUTES.end_session}/success`, internal: `${ROUTES.end_session}/success`, methods: ['GET'], pForm: false },
  { path: ROUTES.jwks, internal: ROUTES.jwks, methods: ['GET', 'OPTIONS'], pForm: true },
  { path: ROUTES.userinfo, internal: ROUTES.userinfo, methods: ['GET', 'POST', 'OPTIONS'], pForm: false },
  { path: ROUTES.revocation, internal: ROUTES.revocation, methods: ['POST', 'OPTIONS'], pForm: false },
];

const UID = /^[A-Za-z0-9_-]{10,64}$/;

/**
 * OIDC Core lets a provider drop offline_access unless prompt=consent, and oidc-provider does. B2C issues
 * refresh tokens for offline_access without it (it has no consent screen), so B2C apps never send it.
 * Asking for consent on their behalf keeps the scope; Nyckel's interaction grants it without a page.
 */
function consentForOfflineAccess(search: string): string {
  const q = new URLSearchParams(search);
  const [scope, ...moreScopes] = q.getAll('scope');
  const [prompt = '', ...morePrompts] = q.getAll('prompt');
  if (!scope?.split(' ').includes('offline_access') || moreScopes.length || morePrompts.length) return search;
  const prompts = prompt.split(' ').filter(Boolean);
  if (prompts.includes('none') || prompts.includes('consent')) return search;
  q.set('prompt', [...prompts, 'consent'].join(' '));
  return q.toString();
}

/** The first parameter that is repeated or holds NUL (which the store cannot hold), if any. */
function badParameter(query: Record<string, unknown>): { name: string; repeated: boolean } | undefined {
  for (const [name, value] of Object.entries(query)) {
    if (Array.isArray(value)) return { name, repeated: true };
    if (typeof value === 'string' && value.includes('\u0000')) return { name, repeated: false };
  }
  return undefined;
}

export async function registerB2cRoutes(app: FastifyInstance, s: Services, providers: ProviderCache): Promise<void> {
  const origin = new URL(s.config.publicUrl);

  async function handle(req: FastifyRequest, reply: FastifyReply, endpoint: Endpoint, pForm: boolean) {
    const { tenant, policy: pathPolicy, uid } = req.params as { tenant: string; policy?: string; uid?: string };
    const query = req.query as Record<string, unknown>;
    const bad = badParameter(query);
    if (bad?.repeated && bad.name === 'p') return sendProtocolError(req, reply, 400, 'invalid_request', "AADB2C90083: The request is missing required parameter: p (it must be given once).");
    if (bad && !bad.repeated) return sendProtocolError(req, reply, 400, 'invalid_request', `AADB2C90122: Input for '${bad.name}' received in the request has failed HTTP request validation.`);
    const policy = pForm ? query.p : pathPolicy;
    if (typeof policy !== 'string' || policy === '') return sendProtocolError(req, reply, 400, 'invalid_request', 'AADB2C90083: The request is missing required parameter: p.');
    if (uid !== undefined && !UID.test(uid)) return sendProtocolError(req, reply, 400, 'invalid_request', 'AADB2C90046: We are having trouble loading your current state. You might want to try starting your session over from the beginning.');
    let ctx;
    try {
      ctx = await resolvePolicy(s.db, { tenant, policy });
    } catch (err) {
      if (err instanceof NyckelError && err.status === 404) return sendPolicyNotFound(req, reply, tenant, policy);
      throw err;
    }
    const { handle: run } = await providers.get(ctx.tenant.id);

    // What the provider sees: its own path, the /{tenant}/{policy} mount, and the public origin — never the
    // Host or X-Forwarded-* the client sent (links and the issuer come from configuration only).
    const raw = req.raw as IncomingMessage & { originalUrl?: string };
    let search = raw.url?.includes('?') ? raw.url.slice(raw.url.indexOf('?') + 1) : '';
    if (pForm) {
      const q = new URLSearchParams(search);
      q.delete('p');
      search = q.toString();
    }
    if (endpoint.path === ROUTES.authorization) search = consentForOfflineAccess(search);
    const internal = `${endpoint.internal}${uid ? `/${uid}` : ''}${search ? `?${search}` : ''}`;
    raw.url = internal;
    raw.originalUrl = `/${tenant.toLowerCase()}/${ctx.userFlow.canonical_name}${internal}`;
    raw.headers.host = origin.host;
    raw.headers['x-forwarded-proto'] = origin.protocol.slice(0, -1);
    raw.headers['x-forwarded-for'] = req.ip;
    delete raw.headers['x-forwarded-host'];
    delete raw.headers.forwarded;
    bindPolicy(raw, ctx);

    const res = reply.raw;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', PROVIDER_CSP);
    if (origin.protocol === 'https:') res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    reply.hijack();
    await run(raw, res);
  }

  // Token, userinfo, revocation and sign-out confirmation bodies are read by oidc-provider itself, so these
  // routes live in a scope where Fastify leaves the request stream untouched.
  const register = (scope: FastifyInstance, raw: boolean) => {
    for (const endpoint of ENDPOINTS) {
      for (const method of endpoint.methods) {
        if ((method === 'POST') !== raw) continue;
        scope.route({ method, url: `/:tenant/:policy${endpoint.path}`, handler: (req, reply) => handle(req, reply, endpoint, false) });
        if (endpoint.pForm) scope.route({ method, url: `/:tenant${endpoint.path}`, handler: (req, reply) => handle(req, reply, endpoint, true) });
      }
    }
  };
  register(app, false);
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    register(scope, true);
  });
}
