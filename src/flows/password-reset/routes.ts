// HTTP for the password reset flow. Hosted page and JSON API are the same endpoints:
//   GET  /{tenant}/{policy}/password-reset            new browser flow → 303 to ?flow=ID
//   GET  /{tenant}/{policy}/password-reset?flow=ID    the flow (HTML, or JSON with Accept: application/json)
//   POST /{tenant}/{policy}/password-reset?flow=ID    submit a step (form or JSON)
//   POST /{tenant}/{policy}/password-reset/api        new API flow (no cookies, no CSRF) → flow JSON
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NyckelError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { ensureBrowserToken, readCookie, csrfCookieName, setSessionCookie, type CookiePolicy } from '../../http/cookies.ts';
import { field, parse, passwordField } from '../../http/validate.ts';
import { interactionCompletePath, resolvePolicy, policyPath, type PolicyContext } from '../../http/policy-context.ts';
import { requestContext } from '../../http/request-context.ts';
import { negotiateLocale } from '../../i18n/negotiate.ts';
import { checkCsrf, createFlow, loadFlow } from '../common/flow-store.ts';
import { afterSubmit, readFlowQuery, sendFlow, withCsrfNode } from '../common/flow-http.ts';
import { RESET_KIND, resetFlowJson, type ResetData } from './flow.ts';
import { submitReset } from './handler.ts';

const submission = z
  .object({
    csrf_token: field(128).optional(),
    action: z.enum(['send_code', 'resend_code', 'change_email', 'verify_code', 'set_password']),
    email: field(320).optional(),
    username: field(256).optional(),
    code: field(32).optional(),
    password: passwordField.optional(),
    confirm_password: passwordField.optional(),
  })
  .strict();

const createQuery = z.object({ ui_locales: field(100).optional(), interaction: z.string().regex(/^[A-Za-z0-9_-]{10,64}$/).optional() }).strict();

/**
 * Standalone, "Continue" leads back to the flow's sign-in page. Inside an app's sign-in (OIDC interaction)
 * it leads back to the app, signed in unless the flow says otherwise (B2C's default is signed in).
 */
function initialData(ctx: PolicyContext, locale: string, interaction?: string): ResetData {
  return {
    policy: ctx.userFlow.name,
    identityType: ctx.settings.identityType,
    passwordPreset: ctx.settings.passwordComplexity,
    locale,
    returnTo: interaction ? interactionCompletePath(ctx, interaction) : `${policyPath(ctx, 'signin')}?ui_locales=${encodeURIComponent(locale)}`,
    ...(interaction ? { interaction, signInAfter: ctx.settings.resetEndsSignedIn ?? true, cancelUrl: policyPath(ctx, `interaction/${interaction}/cancel`) } : {}),
    messages: [],
  };
}

export function registerPasswordResetRoutes(app: FastifyInstance, s: Services, cookies: CookiePolicy): void {
  const path = '/:tenant/:policy/password-reset';
  const pageUrl = (ctx: PolicyContext, flowId: string) => `${policyPath(ctx, 'password-reset')}?flow=${flowId}`;

  async function start(req: FastifyRequest, browser: boolean) {
    const ctx = await resolvePolicy(s.db, req.params);
    if ((ctx.tenant.settings.sspr?.mode ?? 'none') === 'none') throw new NyckelError('password_reset.disabled_for_tenant', 403);
    const q = parse(browser ? createQuery.extend({ flow: field(64).optional() }) : createQuery, req.query);
    const locale = negotiateLocale({ uiLocales: q.ui_locales, acceptLanguage: req.headers['accept-language'], flowDefault: ctx.settings.defaultLanguage });
    return { ctx, locale, interaction: q.interaction };
  }

  app.get(path, async (req, reply) => {
    const query = req.query as { flow?: unknown };
    if (!query.flow) {
      const { ctx, locale, interaction } = await start(req, true);
      const browserToken = ensureBrowserToken(req, reply, cookies);
      const flow = await createFlow(s.db, s.keys, { tenantId: ctx.tenant.id, kind: RESET_KIND, state: 'identify', data: { ...initialData(ctx, locale, interaction) }, ttlSeconds: s.config.flows.ttlSeconds, browserToken });
      return reply.redirect(pageUrl(ctx, flow.id), 303);
    }
    const { flow: flowId, ui_locales } = readFlowQuery(req);
    const ctx = await resolvePolicy(s.db, req.params);
    const flow = await loadFlow(s.db, flowId, ctx.tenant.id, RESET_KIND);
    const json = withCsrfNode(resetFlowJson(flow, pageUrl(ctx, flow.id)), s.keys, flow, req, cookies);
    return sendFlow(req, reply, json, { status: 200, flow, tenantName: ctx.tenant.display_name, ...(ui_locales ? { uiLocales: ui_locales } : {}) });
  });

  app.post(path, async (req, reply) => {
    const { flow: flowId } = readFlowQuery(req);
    const ctx = await resolvePolicy(s.db, req.params);
    const flow = await loadFlow(s.db, flowId, ctx.tenant.id, RESET_KIND);
    const body = parse(submission, req.body);
    const headerToken = req.headers['x-csrf-token'];
    checkCsrf(s.keys, flow, readCookie(req, csrfCookieName(cookies)), body.csrf_token ?? (typeof headerToken === 'string' ? headerToken : undefined));
    const result = await submitReset(s, ctx.tenant, flow, body, requestContext(req));
    if (result.sessionToken) setSessionCookie(reply, cookies, ctx.tenant.id, result.sessionToken, s.config.sessions.ttlSeconds);
    const json = withCsrfNode(resetFlowJson(result.flow, pageUrl(ctx, flow.id), result.extra), s.keys, result.flow, req, cookies);
    return afterSubmit(req, reply, pageUrl(ctx, flow.id), json, { status: result.status, flow: result.flow, tenantName: ctx.tenant.display_name, ...(result.extra ? { extra: result.extra } : {}) });
  });

  app.post(`${path}/api`, async (req, reply) => {
    const { ctx, locale } = await start(req, false);
    // API flows never carry an interaction: they cannot hold the browser session an app sign-in needs.
    const flow = await createFlow(s.db, s.keys, { tenantId: ctx.tenant.id, kind: RESET_KIND, state: 'identify', data: { ...initialData(ctx, locale) }, ttlSeconds: s.config.flows.ttlSeconds });
    return reply.status(201).send(resetFlowJson(flow, pageUrl(ctx, flow.id)));
  });
}
