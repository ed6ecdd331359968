// HTTP for the sign-up flow of "Sign up and sign in" user flows. Hosted page and JSON API are the same endpoints:
//   GET  /{tenant}/{policy}/signup[?interaction=…]   new browser flow → 303 to ?flow=ID
//   GET  /{tenant}/{policy}/signup?flow=ID           the flow (HTML, or JSON with Accept: application/json)
//   POST /{tenant}/{policy}/signup?flow=ID           submit a step (form or JSON); "Create" signs the customer in
//   POST /{tenant}/{policy}/signup/api               new API flow (no cookies, no CSRF) → flow JSON
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NyckelError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { ensureBrowserToken, readCookie, csrfCookieName, setSessionCookie, type CookiePolicy } from '../../http/cookies.ts';
import { wantsJson } from '../../http/error-handler.ts';
import { field, parse, passwordField } from '../../http/validate.ts';
import { interactionCompletePath, resolvePolicy, policyPath, type PolicyContext } from '../../http/policy-context.ts';
import { requestContext } from '../../http/request-context.ts';
import { negotiateLocale } from '../../i18n/negotiate.ts';
import { checkCsrf, createFlow, loadFlow } from '../common/flow-store.ts';
import { afterSubmit, readFlowQuery, sendFlow, withCsrfNode } from '../common/flow-http.ts';
import { SIGN_UP_KIND, signUpData, signUpFlowJson, type SignUpData } from './flow.ts';
import { SIGN_UP_ACTIONS } from './states.ts';
import { submitSignUp } from './handler.ts';

// Names end up in tokens and on other people's screens: no bidi overrides or line separators to spoof them.
const nameField = (max: number) => field(max).refine((v) => !/[\u202a-\u202e\u2066-\u2069\u2028\u2029]/.test(v), 'format characters');

const submission = z
  .object({
    csrf_token: field(128).optional(),
    action: z.enum(SIGN_UP_ACTIONS),
    email: field(320).optional(),
    username: field(256).optional(),
    code: field(32).optional(),
    password: passwordField.optional(),
    confirm_password: passwordField.optional(),
    display_name: nameField(256).optional(),
    given_name: nameField(64).optional(),
    surname: nameField(64).optional(),
  })
  .strict();

const createQuery = z.object({ ui_locales: field(100).optional(), interaction: z.string().regex(/^[A-Za-z0-9_-]{10,64}$/).optional() }).strict();

/** Only "Sign up and sign in" user flows (B2C's signUpOrSignIn) let customers create their own accounts. */
async function resolveSignUpPolicy(s: Services, params: unknown): Promise<PolicyContext> {
  const ctx = await resolvePolicy(s.db, params);
  if (ctx.userFlow.type !== 'signUpOrSignIn') throw new NyckelError('sign_up.disabled_for_policy', 403);
  return ctx;
}

/** Signed up inside an app's sign-in (OIDC interaction), the customer goes back to the app, signed in. */
function initialData(ctx: PolicyContext, locale: string, interaction?: string): SignUpData {
  const signIn = new URLSearchParams({ ui_locales: locale, ...(interaction ? { interaction } : {}) });
  return {
    policy: ctx.userFlow.name,
    identityType: ctx.settings.identityType,
    passwordPreset: ctx.settings.passwordComplexity,
    ...(ctx.settings.customPolicy ? { customPolicy: ctx.settings.customPolicy } : {}),
    locale,
    returnTo: interaction ? interactionCompletePath(ctx, interaction) : policyPath(ctx, 'signed-in'),
    signInUrl: `${policyPath(ctx, 'signin')}?${signIn}`,
    ...(interaction ? { interaction } : {}),
    messages: [],
  };
}

export function registerSignUpRoutes(app: FastifyInstance, s: Services, cookies: CookiePolicy): void {
  const path = '/:tenant/:policy/signup';
  const pageUrl = (ctx: PolicyContext, flowId: string) => `${policyPath(ctx, 'signup')}?flow=${flowId}`;

  async function start(req: FastifyRequest, browser: boolean) {
    const ctx = await resolveSignUpPolicy(s, req.params);
    const q = parse(browser ? createQuery.extend({ flow: field(64).optional() }) : createQuery, req.query);
    const locale = negotiateLocale({ uiLocales: q.ui_locales, acceptLanguage: req.headers['accept-language'], flowDefault: ctx.settings.defaultLanguage });
    return { ctx, locale, interaction: q.interaction };
  }

  app.get(path, async (req, reply) => {
    const query = req.query as { flow?: unknown };
    if (!query.flow) {
      const { ctx, locale, interaction } = await start(req, true);
      const browserToken = ensureBrowserToken(req, reply, cookies);
      const flow = await createFlow(s.db, s.keys, { tenantId: ctx.tenant.id, kind: SIGN_UP_KIND, state: 'identify', data: { ...initialData(ctx, locale, interaction) }, ttlSeconds: s.config.flows.ttlSeconds, browserToken });
      return reply.redirect(pageUrl(ctx, flow.id), 303);
    }
    const { flow: flowId, ui_locales } = readFlowQuery(req);
    const ctx = await resolveSignUpPolicy(s, req.params);
    const flow = await loadFlow(s.db, flowId, ctx.tenant.id, SIGN_UP_KIND);
    const json = withCsrfNode(signUpFlowJson(flow, pageUrl(ctx, flow.id)), s.keys, flow, req, cookies);
    return sendFlow(req, reply, json, { status: 200, flow, tenantName: ctx.tenant.display_name, ...(ui_locales ? { uiLocales: ui_locales } : {}) });
  });

  app.post(path, async (req, reply) => {
    const { flow: flowId } = readFlowQuery(req);
    const ctx = await resolveSignUpPolicy(s, req.params);
    const flow = await loadFlow(s.db, flowId, ctx.tenant.id, SIGN_UP_KIND);
    const body = parse(submission, req.body);
    const headerToken = req.headers['x-csrf-token'];
    checkCsrf(s.keys, flow, readCookie(req, csrfCookieName(cookies)), body.csrf_token ?? (typeof headerToken === 'string' ? headerToken : undefined));
    const result = await submitSignUp(s, ctx.tenant, flow, body, requestContext(req));
    if (result.sessionToken) {
      // API flows (native apps) get the session token in the body; they have no cookie jar to trust.
      if (!flow.browser) return reply.send({ id: flow.id, type: SIGN_UP_KIND, state: 'done', user_id: result.flow.user_id, session_token: result.sessionToken });
      setSessionCookie(reply, cookies, ctx.tenant.id, result.sessionToken, s.config.sessions.ttlSeconds);
      const next = signUpData(result.flow).returnTo;
      if (wantsJson(req)) return reply.send({ id: flow.id, type: SIGN_UP_KIND, state: 'done', return_to: next });
      return reply.redirect(next, 303);
    }
    const json = withCsrfNode(signUpFlowJson(result.flow, pageUrl(ctx, flow.id), result.extra), s.keys, result.flow, req, cookies);
    return afterSubmit(req, reply, pageUrl(ctx, flow.id), json, { status: result.status, flow: result.flow, tenantName: ctx.tenant.display_name, ...(result.extra ? { extra: result.extra } : {}) });
  });

  app.post(`${path}/api`, async (req, reply) => {
    const { ctx, locale } = await start(req, false);
    // API flows never carry an interaction: they cannot hold the browser session an app sign-in needs.
    const flow = await createFlow(s.db, s.keys, { tenantId: ctx.tenant.id, kind: SIGN_UP_KIND, state: 'identify', data: { ...initialData(ctx, locale) }, ttlSeconds: s.config.flows.ttlSeconds });
    return reply.status(201).send(signUpFlowJson(flow, pageUrl(ctx, flow.id)));
  });
}
