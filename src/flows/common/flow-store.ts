// Self-service flows as stored rows: create, load (expired = gone), bind to the browser, move between states.
import { NyckelError } from '../../errors.ts';
import type { Keys } from '../../security/secrets.ts';
import { randomToken, safeEqual } from '../../security/secrets.ts';
import type { Db } from '../../store/database.ts';
import { findFlow, insertFlow, type FlowRow } from '../../store/queries/flows.ts';
import type { LimitCharge, LimitResult } from '../../limits/limiter.ts';
import type { Services } from '../../services.ts';
import { moveFlowAndWrite, moveFlowSpending, type Durability, type Effect } from '../../store/guarded-write.ts';

export type { FlowRow };

export interface NewFlow {
  tenantId: string;
  kind: string;
  state: string;
  data: Record<string, unknown>;
  ttlSeconds: number;
  /** The browser's CSRF cookie value; absent for API flows (no cookies, so no CSRF). */
  browserToken?: string;
}

export async function createFlow(db: Db, keys: Keys, input: NewFlow): Promise<FlowRow> {
  return insertFlow(db, {
    id: randomToken(16),
    tenant_id: input.tenantId,
    kind: input.kind,
    state: input.state,
    csrf_hash: input.browserToken ? keys.hmac('csrf', 'bind', input.browserToken) : keys.hmac('csrf', 'api', randomToken()),
    browser: input.browserToken !== undefined,
    data: input.data,
    expires_at: new Date(Date.now() + input.ttlSeconds * 1000),
  });
}

/** Loads a live flow of the given kind for the tenant; an expired or foreign flow is `flow.expired`/`flow.not_found`. */
export async function loadFlow(db: Db, id: unknown, tenantId: string, kind: string): Promise<FlowRow> {
  return liveFlow(await findFlow(db, flowIdOf(id)), tenantId, kind);
}

/**
 * loadFlow, with `charges` spent as the flow is read: the limits of a step whose keys are known from the request
 * alone (the address of "Send verification code"). Where counters live in the same PostgreSQL, the spend and the
 * read are one statement (one round trip instead of two on the hottest path of a reset); elsewhere they run side
 * by side. The charges are spent whatever the flow turns out to be: a request with a dead or foreign flow is
 * counted like any other (nothing is refunded), so such requests cannot be used to probe without limit.
 */
export async function loadFlowSpending(s: Services, id: unknown, tenantId: string, kind: string, charges: readonly LimitCharge[]): Promise<{ flow: FlowRow; spent: LimitResult[] }> {
  const flowId = flowIdOf(id);
  if (charges.length === 0) return { flow: await loadFlow(s.db, flowId, tenantId, kind), spent: [] };
  const inDb = s.limits.inDatabase;
  const { flow, results } = inDb
    ? await inDb.consumeAllReadingFlow(charges, flowId)
    : await Promise.all([findFlow(s.db, flowId), s.limits.consumeAll(charges)]).then(([flow, results]) => ({ flow, results }));
  return { flow: liveFlow(flow, tenantId, kind), spent: results };
}

/** A flow id as a client sent it, if it has the shape of one (else `flow.not_found`: no lookup needed). */
export function flowIdOf(id: unknown): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) throw new NyckelError('flow.not_found', 404);
  return id;
}

/** The flow as read, if it is a live flow of the given kind for the tenant (loadFlow's checks). */
export function liveFlow(flow: FlowRow | undefined, tenantId: string, kind: string): FlowRow {
  if (!flow || flow.tenant_id !== tenantId || flow.kind !== kind) throw new NyckelError('flow.not_found', 404);
  if (flow.expires_at.getTime() <= Date.now()) throw new NyckelError('flow.expired', 410);
  return flow;
}

/** The token a form must echo: derived from flow and browser token, so it is useless in another browser. */
export const csrfTokenFor = (keys: Keys, flow: FlowRow, browserToken: string) => keys.hmac('csrf', 'form', flow.id, browserToken);

/**
 * CSRF check for a submission. Browser flows need the browser's cookie to be the one the flow was created
 * with, and the form token derived from it. API flows carry no ambient credentials, so they need neither.
 */
export function checkCsrf(keys: Keys, flow: FlowRow, browserToken: string | undefined, formToken: string | undefined): void {
  if (!flow.browser) return;
  if (!browserToken || !formToken) throw new NyckelError('csrf.invalid', 403);
  if (!safeEqual(keys.hmac('csrf', 'bind', browserToken), flow.csrf_hash)) throw new NyckelError('csrf.invalid', 403);
  if (!safeEqual(csrfTokenFor(keys, flow, browserToken), formToken)) throw new NyckelError('csrf.invalid', 403);
}

/**
 * A compare-and-set move and the step's other writes (code, mail, audit, session…) in one statement: all of
 * them happen, or — when a parallel request moved the flow first — none (store/guarded-write.ts). `async` only
 * for steps that do nothing but send a code (see Durability there).
 */
export async function moveFlowWith(db: Db, flow: FlowRow, to: { state: string; data: Record<string, unknown>; userId?: string | null }, effects: readonly Effect[], durability: Durability = 'durable'): Promise<FlowRow> {
  const next = await moveFlowAndWrite(db, { from: flow, to }, effects, durability);
  if (!next) throw new NyckelError('flow.conflict', 409);
  return next;
}

/** Compare-and-set move with nothing else written; a lost race is a 409 ("this step was already taken"). */
export const moveFlow = (db: Db, flow: FlowRow, to: { state: string; data: Record<string, unknown>; userId?: string | null }, durability: Durability = 'durable'): Promise<FlowRow> =>
  moveFlowWith(db, flow, to, [], durability);

/**
 * A step that started from a flow held in memory (waiting-flows.ts) and could not move it: the routes start it
 * again from a fresh read, with the results of what it spent (undefined: it spent nothing).
 */
export class StartAgain extends Error {
  constructor(readonly spent: LimitResult[] | undefined) {
    super('the step starts again from a fresh read of its flow');
  }
}

/**
 * moveFlowWith, with `charges` spent in the same statement (counters in this database; one point each): the
 * flow moves only if they all pass, and they are spent either way. Not moved — a charge refused, or the flow
 * no longer as read — is StartAgain with the charges' results.
 */
export async function moveFlowSpendingWith(s: Services, flow: FlowRow, to: { state: string; data: Record<string, unknown> }, effects: readonly Effect[], charges: readonly LimitCharge[], durability: Durability = 'durable'): Promise<FlowRow> {
  const counters = s.limits.inDatabase;
  if (!counters) throw new StartAgain(undefined);
  const { flow: next, spent } = await moveFlowSpending(s.db, { from: flow, to }, effects, counters.counterSpends(charges), durability);
  if (!next) throw new StartAgain(counters.resultsOf(spent));
  return next;
}
