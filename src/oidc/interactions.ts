// An app's sign-in (an oidc-provider interaction) handed to Nyckel's hosted pages and back:
//   GET /{tenant}/{policy}/interaction/{uid}                  where the provider sends the browser
//   GET /{tenant}/{policy}/interaction/{uid}/complete         the pages return here once a session exists
//   GET /{tenant}/{policy}/interaction/{uid}/forgot-password  legacy B2C: AADB2C90118 back to the app
//   GET /{tenant}/{policy}/interaction/{uid}/cancel           reset cancelled: AADB2C90091 back to the app
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionResults } from 'oidc-provider';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { NyckelError } from '../errors.ts';
import { readCookie, sessionCookieName, type CookiePolicy } from '../http/cookies.ts';
import { field, parse } from '../http/validate.ts';
import { policyPath, resolvePolicy, type PolicyContext } from '../http/policy-context.ts';
import { readSession } from '../sessions/sessions.ts';
import type { ProviderCache } from './provider-factory.ts';
import { acrOf } from './request-context.ts';

export const FORGOT_PASSWORD = 'AADB2C90118: The user has forgotten their password.';
export const CANCELLED = 'AADB2C90091: The user has cancelled entering self-asserted information.';

const params = z.object({ tenant: field(100), policy: field(100), uid: z.string().regex(/^[A-Za-z0-9_-]{10,64}$/) }).strict();

type Details = Awaited<ReturnType<Awaited<ReturnType<ProviderCache['get']>>['provider']['interactionDetails']>>;

/** prompt=login, an exceeded max_age and every password reset policy ask for credentials even with a session. */
function mustAuthenticate(details: Details, ctx: PolicyContext): boolean {
  const prompt = typeof details.params.prompt === 'string' ? details.params.prompt.split(' ') : [];
  return prompt.includes('login') || details.prompt.reasons.includes('max_age') || ctx.userFlow.type === 'passwordReset';
}

/** A hosted page for this interaction, carrying the app's language and (to sign-in) its login hint. */
function pageUrl(ctx: PolicyContext, details: Details, uid: string, which: 'signin' | 'password-reset'): string {
  const q = new URLSearchParams({ interaction: uid });
  const { ui_locales: locales, login_hint: hint } = details.params;
  if (typeof locales === 'string' && locales.length <= 100 && !/[\u0000-\u001f]/.test(locales)) q.set('ui_locales', locales);
  if (which === 'signin' && typeof hint === 'string' && hint.length <= 320 && !/[\u0000-\u001f]/.test(hint)) q.set('login_hint', hint);
  return `${policyPath(ctx, which)}?${q}`;
}

export function registerInteractionRoutes(app: FastifyInstance, s: Services, providers: ProviderCache, cookies: CookiePolicy): void {
  const base = '/:tenant/:policy/interaction/:uid';

  async function load(req: FastifyRequest, reply: FastifyReply) {
    const p = parse(params, req.params);
    const ctx = await resolvePolicy(s.db, p);
    const { provider } = await providers.get(ctx.tenant.id);
    // The interaction cookie (scoped to this path) must name this uid: a link alone is not enough.
    const details = await provider.interactionDetails(req.raw, reply.raw).catch(() => undefined);
    if (!details || details.uid !== p.uid) throw new NyckelError('flow.expired', 400);
    const session = await readSession(s, ctx.tenant.id, readCookie(req, sessionCookieName(cookies, ctx.tenant.id)));
    const finish = async (result: InteractionResults) => reply.redirect(await provider.interactionResult(req.raw, reply.raw, result), 303);
    return { ctx, details, session, finish, uid: p.uid };
  }

  const signedIn = (ctx: PolicyContext, session: { user_id: string; auth_time: Date }): InteractionResults => ({
    login: { accountId: session.user_id, ts: Math.floor(session.auth_time.getTime() / 1000), acr: acrOf(ctx), amr: ['pwd'], remember: true },
    consent: {},
    select_account: {},
  });

  app.get(base, async (req, reply) => {
    const { ctx, details, session, finish, uid } = await load(req, reply);
    // Only consent or account selection left (native apps and offline_access ask every time): no page in B2C.
    if (details.prompt.name === 'consent' || details.prompt.name === 'select_account') return finish({ consent: {}, select_account: {} });
    if (session && !mustAuthenticate(details, ctx)) return finish(signedIn(ctx, session));
    return reply.redirect(pageUrl(ctx, details, uid, ctx.userFlow.type === 'passwordReset' ? 'password-reset' : 'signin'), 303);
  });

  app.get(`${base}/complete`, async (req, reply) => {
    const { ctx, details, session, finish, uid } = await load(req, reply);
    // When credentials were required, only a session created after the request started counts.
    const fresh = session && (!mustAuthenticate(details, ctx) || Math.floor(session.auth_time.getTime() / 1000) >= details.iat);
    if (!session || !fresh) return reply.redirect(pageUrl(ctx, details, uid, 'signin'), 303);
    return finish(signedIn(ctx, session));
  });

  app.get(`${base}/forgot-password`, async (req, reply) => {
    const { ctx, finish, uid, details } = await load(req, reply);
    if (ctx.settings.passwordReset !== 'legacy') return reply.redirect(pageUrl(ctx, details, uid, 'password-reset'), 303);
    return finish({ error: 'access_denied', error_description: FORGOT_PASSWORD });
  });

  app.get(`${base}/cancel`, async (req, reply) => {
    const { ctx, details, finish, uid } = await load(req, reply);
    // Cancelling a reset started from the sign-in page goes back there; a reset policy tells the app (B2C).
    if (ctx.userFlow.type !== 'passwordReset') return reply.redirect(pageUrl(ctx, details, uid, 'signin'), 303);
    return finish({ error: 'access_denied', error_description: CANCELLED });
  });
}
