// The four endpoints every code-verified self-service flow (password reset, sign-up) has, declared once:
//   GET  /{tenant}/{policy}/{segment}[?interaction=…]   new browser flow → 303 to ?flow=ID
//   GET  /{tenant}/{policy}/{segment}?flow=ID           the flow (HTML, or JSON with Accept: application/json)
//   POST /{tenant}/{policy}/{segment}?flow=ID           submit a step (form or JSON; CSRF-checked for browsers)
//   POST /{tenant}/{policy}/{segment}/api               new API flow (no cookies, so no CSRF) → flow JSON
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Tenant } from '../../directory/tenants.ts';
import type { RequestContext, Services } from '../../services.ts';
import { ensureBrowserToken, readCookie, csrfCookieName, setSessionCookie, type CookiePolicy } from '../../http/cookies.ts';
import { wantsJson } from '../../http/error-handler.ts';
import { field, parse } from '../../http/validate.ts';
import { policyPath, resolvePolicy, type PolicyContext } from '../../http/policy-context.ts';
import { requestContext } from '../../http/request-context.ts';
import { negotiateLocale } from '../../i18n/negotiate.ts';
import type { UiMessage } from './ui.ts';
import { checkCsrf, createFlow, liveFlow, loadFlow, loadFlowSpending, StartAgain, type FlowRow } from './flow-store.ts';
import type { CodeSpending } from './send-code.ts';
import type { LimitCharge, LimitResult } from '../../limits/limiter.ts';
import { afterSubmit, readFlowQuery, sendFlow, withCsrfNode } from './flow-http.ts';
import type { StepResult } from './step.ts';
import type { FlowJson } from '../password-reset/flow.ts';

export interface FlowRouteSpec<Body extends { csrf_token?: string | undefined }> {
  /** URL segment after /{tenant}/{policy}/. */
  segment: string;
  kind: string;
  firstState: string;
  /** Checks that this policy and tenant allow the flow at all (throws a NyckelError otherwise). */
  allow(ctx: PolicyContext): void;
  submission: z.ZodType<Body>;
  initialData(ctx: PolicyContext, locale: string, interaction?: string): object;
  toJson(flow: FlowRow, action: string, extra?: UiMessage[]): FlowJson;
  /**
   * Limits a submission spends whose keys the body alone tells (the address of "Send verification code"): spent
   * in the step's own statement when this process holds the flow in memory (waiting-flows.ts; flows of such
   * kinds are put there when created), else as the flow is read (flow-store.ts, loadFlowSpending).
   */
  chargesBeforeRead?(s: Services, tenantId: string, body: Body, ctx: RequestContext): LimitCharge[] | undefined;
  /**
   * `spending`: the results of `chargesBeforeRead` spent as the flow was read, or — for a flow this process
   * holds in memory (waiting-flows.ts) — the charges themselves, which the step spends in its own statement or
   * answers with StartAgain (flow-store.ts).
   */
  submit(s: Services, tenant: Tenant, flow: FlowRow, body: Body, ctx: RequestContext, spending?: CodeSpending): Promise<StepResult>;
  /** When a step signs the customer in, go straight on to `returnTo` (sign-up) instead of showing the page. */
  continueWhenSignedIn?: boolean;
}

type Stepped = { flow: FlowRow; result: StepResult };

const createQuery = z.object({ ui_locales: field(100).optional(), interaction: z.string().regex(/^[A-Za-z0-9_-]{10,64}$/).optional() }).strict();

export function registerFlowRoutes<Body extends { csrf_token?: string | undefined }>(app: FastifyInstance, s: Services, cookies: CookiePolicy, spec: FlowRouteSpec<Body>): void {
  const path = `/:tenant/:policy/${spec.segment}`;
  const pageUrl = (ctx: PolicyContext, flowId: string) => `${policyPath(ctx, spec.segment)}?flow=${flowId}`;

  async function start(req: FastifyRequest, browser: boolean, browserToken?: () => string) {
    const ctx = await resolvePolicy(s.db, req.params);
    spec.allow(ctx);
    const q = parse(browser ? createQuery.extend({ flow: field(64).optional() }) : createQuery, req.query);
    const locale = negotiateLocale({ uiLocales: q.ui_locales, acceptLanguage: req.headers['accept-language'], flowDefault: ctx.settings.defaultLanguage });
    // API flows never carry an interaction: they cannot hold the browser session an app sign-in needs.
    const data = spec.initialData(ctx, locale, browser ? q.interaction : undefined);
    const token = browserToken?.();
    const flow = await createFlow(s.db, s.keys, { tenantId: ctx.tenant.id, kind: spec.kind, state: spec.firstState, data: { ...data }, ttlSeconds: s.config.flows.ttlSeconds, ...(token ? { browserToken: token } : {}) });
    if (spec.chargesBeforeRead) s.waitingFlows?.put(flow);
    return { ctx, flow };
  }

  /**
   * The step from the flow as this process created it, if it holds it and the submission passes the checks a
   * read flow would (tenant, kind, expiry, CSRF); else, or when the step answers StartAgain, undefined and what
   * was spent.
   */
  async function fromWaiting(flowId: string, ctx: PolicyContext, body: Body, rctx: RequestContext, charges: LimitCharge[], csrf: [string | undefined, string | undefined]): Promise<Stepped | { spent: LimitResult[] | undefined } | undefined> {
    const held = s.waitingFlows?.take(flowId);
    if (!held) return undefined;
    let flow: FlowRow;
    try {
      flow = liveFlow(held, ctx.tenant.id, spec.kind);
      checkCsrf(s.keys, flow, ...csrf);
    } catch {
      return undefined; // refused: the read path spends, then answers as it always does
    }
    try {
      return { flow, result: await spec.submit(s, ctx.tenant, flow, body, rctx, { inStep: charges }) };
    } catch (err) {
      if (err instanceof StartAgain) return { spent: err.spent };
      throw err;
    }
  }

  /** The step of a submission, from the flow held in memory when that works out, else from a read. */
  async function step(flowId: unknown, ctx: PolicyContext, body: Body, rctx: RequestContext, charges: LimitCharge[] | undefined, csrf: [string | undefined, string | undefined]): Promise<Stepped> {
    const waiting = charges && typeof flowId === 'string' ? await fromWaiting(flowId, ctx, body, rctx, charges, csrf) : undefined;
    if (waiting && 'result' in waiting) return waiting;
    const { flow, spent } = waiting?.spent
      ? { flow: await loadFlow(s.db, flowId, ctx.tenant.id, spec.kind), spent: waiting.spent }
      : charges
        ? await loadFlowSpending(s, flowId, ctx.tenant.id, spec.kind, charges)
        : { flow: await loadFlow(s.db, flowId, ctx.tenant.id, spec.kind), spent: undefined };
    checkCsrf(s.keys, flow, ...csrf);
    return { flow, result: await spec.submit(s, ctx.tenant, flow, body, rctx, spent) };
  }

  app.get(path, async (req, reply) => {
    if (!(req.query as { flow?: unknown }).flow) {
      const { ctx, flow } = await start(req, true, () => ensureBrowserToken(req, reply, cookies));
      return reply.redirect(pageUrl(ctx, flow.id), 303);
    }
    const { flow: flowId, ui_locales } = readFlowQuery(req);
    const ctx = await resolvePolicy(s.db, req.params);
    const flow = await loadFlow(s.db, flowId, ctx.tenant.id, spec.kind);
    const json = withCsrfNode(spec.toJson(flow, pageUrl(ctx, flow.id)), s.keys, flow, req, cookies);
    return sendFlow(req, reply, json, { status: 200, flow, tenantName: ctx.tenant.display_name, ...(ui_locales ? { uiLocales: ui_locales } : {}) });
  });

  app.post(path, async (req, reply) => {
    const { flow: flowId } = readFlowQuery(req);
    const ctx = await resolvePolicy(s.db, req.params);
    const body = parse(spec.submission, req.body);
    const rctx = requestContext(req);
    const charges = spec.chargesBeforeRead?.(s, ctx.tenant.id, body, rctx);
    const headerToken = req.headers['x-csrf-token'];
    const csrf: [string | undefined, string | undefined] = [readCookie(req, csrfCookieName(cookies)), body.csrf_token ?? (typeof headerToken === 'string' ? headerToken : undefined)];
    const { flow, result } = await step(flowId, ctx, body, rctx, charges, csrf);
    if (result.sessionToken) {
      // API flows (native apps) get the session token in the body; they have no cookie jar to trust.
      if (!flow.browser) return reply.send({ id: flow.id, type: spec.kind, state: result.flow.state, user_id: result.flow.user_id, session_token: result.sessionToken });
      setSessionCookie(reply, cookies, ctx.tenant.id, result.sessionToken, s.config.sessions.ttlSeconds);
      const next = (result.flow.data as { returnTo?: string }).returnTo;
      if (spec.continueWhenSignedIn && next) return wantsJson(req) ? reply.send({ id: flow.id, type: spec.kind, state: result.flow.state, return_to: next }) : reply.redirect(next, 303);
    }
    const json = withCsrfNode(spec.toJson(result.flow, pageUrl(ctx, flow.id), result.extra), s.keys, result.flow, req, cookies);
    return afterSubmit(req, reply, pageUrl(ctx, flow.id), json, { status: result.status, flow: result.flow, tenantName: ctx.tenant.display_name, ...(result.extra ? { extra: result.extra } : {}) });
  });

  app.post(`${path}/api`, async (req, reply) => {
    const { ctx, flow } = await start(req, false);
    return reply.status(201).send(spec.toJson(flow, pageUrl(ctx, flow.id)));
  });
}
