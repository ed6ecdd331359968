// HTTP for the hosted sign-in page of a user flow:
//   GET  /{tenant}/{policy}/signin            new flow → 303 to ?flow=ID
//   GET  /{tenant}/{policy}/signin?flow=ID    the page (HTML) or the flow (JSON)
//   POST /{tenant}/{policy}/signin?flow=ID    credentials; success sets the session cookie
//   GET  /{tenant}/{policy}/signed-in         "signed in as …" (until an app takes over the session)
//   POST /{tenant}/{policy}/signout           ends this browser's session
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../services.ts';
import { NyckelError } from '../../errors.ts';
import { safeEqual } from '../../security/secrets.ts';
import { clearSessionCookie, csrfCookieName, ensureBrowserToken, readCookie, sessionCookieName, setSessionCookie, type CookiePolicy } from '../../http/cookies.ts';
import { field, parse, passwordField } from '../../http/validate.ts';
import { interactionCompletePath, resolvePolicy, policyPath, type PolicyContext } from '../../http/policy-context.ts';
import { requestContext } from '../../http/request-context.ts';
import { wantsJson } from '../../http/error-handler.ts';
import { negotiateLocale } from '../../i18n/negotiate.ts';
import { translate } from '../../i18n/translate.ts';
import { findUserById, listIdentities } from '../../store/queries/users.ts';
import { endSession, readSession } from '../../sessions/sessions.ts';
import { html } from '../../ui/html.ts';
import { page } from '../../ui/layout.ts';
import { checkCsrf, createFlow, flowIdOf, liveFlow, loadFlow, type FlowRow } from '../common/flow-store.ts';
import { afterSubmit, readFlowQuery, sendFlow, withCsrfNode } from '../common/flow-http.ts';
import { SIGN_IN_KIND, signInData, signInFlowJson, type SignInData } from './flow.ts';
import { submitSignIn, submittedIdentifier } from './handler.ts';
import { readSubmission } from './authenticate.ts';

const submission = z.object({ csrf_token: field(128).optional(), action: z.literal('sign_in').optional(), identifier: field(320).optional(), password: passwordField.optional() }).strict();

const startQuery = z
  .object({
    flow: field(64).optional(),
    ui_locales: field(100).optional(),
    interaction: z.string().regex(/^[A-Za-z0-9_-]{10,64}$/).optional(),
    login_hint: field(320).optional(),
  })
  .strict();


/**
 * "Forgot your password?" is shown only while the tenant's SSPR mode is not `none`. Inside an app's sign-in
 * (an OIDC interaction) it either resets inline and returns to the app, or — legacy B2C mode — hands the app
 * AADB2C90118 so the app can start its own password reset policy.
 */
export function resetUrlFor(ctx: PolicyContext, data: SignInData): string | undefined {
  if ((ctx.tenant.settings.sspr?.mode ?? 'none') === 'none') return undefined;
  if (data.interaction && ctx.settings.passwordReset === 'legacy') return policyPath(ctx, `interaction/${data.interaction}/forgot-password`);
  const params = new URLSearchParams({ ui_locales: data.locale ?? 'en', ...(data.interaction ? { interaction: data.interaction } : {}) });
  return `${policyPath(ctx, 'password-reset')}?${params}`;
}

export function signUpUrlFor(ctx: PolicyContext, data: SignInData): string | undefined {
  if (ctx.userFlow.type !== 'signUpOrSignIn') return undefined;
  const params = new URLSearchParams({ ui_locales: data.locale ?? 'en', ...(data.interaction ? { interaction: data.interaction } : {}) });
  return `${policyPath(ctx, 'signup')}?${params}`;
}

const live = (ctx: PolicyContext, flow: FlowRow) => {
  const data = signInData(flow);
  return { ...flow, data: { ...data, resetUrl: resetUrlFor(ctx, data), signUpUrl: signUpUrlFor(ctx, data) } };
};

export function registerSignInRoutes(app: FastifyInstance, s: Services, cookies: CookiePolicy): void {
  const path = '/:tenant/:policy/signin';
  const pageUrl = (ctx: PolicyContext, id: string) => `${policyPath(ctx, 'signin')}?flow=${id}`;

  app.get(path, async (req, reply) => {
    const q = parse(startQuery, req.query);
    const ctx = await resolvePolicy(s.db, req.params);
    if (!q.flow) {
      const locale = negotiateLocale({ uiLocales: q.ui_locales, acceptLanguage: req.headers['accept-language'], flowDefault: ctx.settings.defaultLanguage });
      const browserToken = ensureBrowserToken(req, reply, cookies);
      const data: SignInData = {
        policy: ctx.userFlow.name,
        identityType: ctx.settings.identityType,
        locale,
        returnTo: q.interaction ? interactionCompletePath(ctx, q.interaction) : `${policyPath(ctx, 'signed-in')}?ui_locales=${encodeURIComponent(locale)}`,
        ...(q.interaction ? { interaction: q.interaction } : {}),
        ...(q.login_hint ? { identifier: q.login_hint } : {}),
        messages: [],
      };
      const flow = await createFlow(s.db, s.keys, { tenantId: ctx.tenant.id, kind: SIGN_IN_KIND, state: 'credentials', data: { ...data }, ttlSeconds: s.config.flows.ttlSeconds, browserToken });
      return reply.redirect(pageUrl(ctx, flow.id), 303);
    }
    const flow = await loadFlow(s.db, q.flow, ctx.tenant.id, SIGN_IN_KIND);
    // The reset link follows the tenant's current SSPR setting, not the one at flow creation.
    const json = withCsrfNode(signInFlowJson(live(ctx, flow), pageUrl(ctx, flow.id)), s.keys, flow, req, cookies);
    return sendFlow(req, reply, json, { status: 200, flow, tenantName: ctx.tenant.display_name, ...(q.ui_locales ? { uiLocales: q.ui_locales } : {}) });
  });

  app.post(path, async (req, reply) => {
    const q = readFlowQuery(req);
    const ctx = await resolvePolicy(s.db, req.params);
    const body = parse(submission, req.body);
    const reqCtx = requestContext(req);
    // The flow, the account and its lockouts in one statement; the account is the one the policy's identity
    // type names, which is the flow's own unless the policy changed since (then submitSignIn reads again).
    const read = await readSubmission(s, ctx.tenant, flowIdOf(q.flow), ctx.settings.identityType, submittedIdentifier(body), reqCtx);
    const flow = liveFlow(read.flow, ctx.tenant.id, SIGN_IN_KIND);
    const headerToken = req.headers['x-csrf-token'];
    checkCsrf(s.keys, flow, readCookie(req, csrfCookieName(cookies)), body.csrf_token ?? (typeof headerToken === 'string' ? headerToken : undefined));
    const result = await submitSignIn(s, ctx.tenant, flow, body, reqCtx, read.subject);
    if (result.sessionToken && !flow.browser) {
      // API flows (native apps) get the session token in the body; they have no cookie jar to trust.
      return reply.send({ id: flow.id, type: SIGN_IN_KIND, state: 'done', user_id: result.flow.user_id, session_token: result.sessionToken });
    }
    if (result.sessionToken) {
      setSessionCookie(reply, cookies, ctx.tenant.id, result.sessionToken, s.config.sessions.ttlSeconds);
      const next = signInData(result.flow).returnTo ?? policyPath(ctx, 'signed-in');
      if (wantsJson(req)) return reply.send({ id: flow.id, type: SIGN_IN_KIND, state: 'done', return_to: next });
      return reply.redirect(next, 303);
    }
    const json = withCsrfNode(signInFlowJson(live(ctx, result.flow), pageUrl(ctx, flow.id)), s.keys, result.flow, req, cookies);
    return afterSubmit(req, reply, pageUrl(ctx, flow.id), json, { status: result.status, flow: result.flow, tenantName: ctx.tenant.display_name });
  });

  app.post(`${path}/api`, async (req, reply) => {
    const ctx = await resolvePolicy(s.db, req.params);
    const q = parse(z.object({ ui_locales: field(100).optional() }).strict(), req.query);
    const locale = negotiateLocale({ uiLocales: q.ui_locales, acceptLanguage: req.headers['accept-language'], flowDefault: ctx.settings.defaultLanguage });
    const data: SignInData = { policy: ctx.userFlow.name, identityType: ctx.settings.identityType, locale, messages: [] };
    const flow = await createFlow(s.db, s.keys, { tenantId: ctx.tenant.id, kind: SIGN_IN_KIND, state: 'credentials', data: { ...data }, ttlSeconds: s.config.flows.ttlSeconds });
    return reply.status(201).send(signInFlowJson(live(ctx, flow), pageUrl(ctx, flow.id)));
  });

  app.get('/:tenant/:policy/signed-in', async (req, reply) => {
    const ctx = await resolvePolicy(s.db, req.params);
    const q = parse(z.object({ ui_locales: field(100).optional() }).strict(), req.query);
    const locale = negotiateLocale({ uiLocales: q.ui_locales, acceptLanguage: req.headers['accept-language'], flowDefault: ctx.settings.defaultLanguage });
    const session = await readSession(s, ctx.tenant.id, readCookie(req, sessionCookieName(cookies, ctx.tenant.id)));
    if (!session) return reply.redirect(`${policyPath(ctx, 'signin')}?ui_locales=${locale}`, 303);
    const user = await findUserById(s.db, ctx.tenant.id, session.user_id);
    const identities = user ? await listIdentities(s.db, user.id) : [];
    const name = user?.display_name ?? identities[0]?.issuer_assigned_id ?? session.user_id;
    if (wantsJson(req)) return reply.send({ user_id: session.user_id, name, auth_time: session.auth_time.toISOString() });
    const browserToken = ensureBrowserToken(req, reply, cookies);
    const csrf = s.keys.hmac('csrf', 'signout', browserToken);
    const body = html`<h1>${translate(locale, 'sign_in.signed_in_title')}</h1>
<p class="intro" id="signed-in-as">${translate(locale, 'sign_in.signed_in_as', { name })}</p>
<form method="post" action="${policyPath(ctx, 'signout')}"><input type="hidden" name="csrf_token" value="${csrf}"><button class="btn btn-secondary" type="submit">${translate(locale, 'sign_in.sign_out')}</button></form>`;
    return reply.type('text/html; charset=utf-8').send(page({ locale, title: translate(locale, 'sign_in.signed_in_title'), tenantName: ctx.tenant.display_name, body }));
  });

  app.post('/:tenant/:policy/signout', async (req, reply) => {
    const ctx = await resolvePolicy(s.db, req.params);
    const body = parse(z.object({ csrf_token: field(128) }).strict(), req.body);
    const browserToken = readCookie(req, csrfCookieName(cookies));
    if (!browserToken || !safeEqual(body.csrf_token, s.keys.hmac('csrf', 'signout', browserToken))) throw new NyckelError('csrf.invalid', 403);
    await endSession(s, readCookie(req, sessionCookieName(cookies, ctx.tenant.id)));
    clearSessionCookie(reply, cookies, ctx.tenant.id);
    return reply.redirect(policyPath(ctx, 'signin'), 303);
  });
}
