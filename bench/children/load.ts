// The load generator: autocannon's programmatic API in its own process, so it never shares an event loop (or
// the orchestrator's timing probe) with anything else. It also prepares the single-use flows each request
// needs, keeping them here so thousands of ids never cross the IPC channel.
import autocannon from 'autocannon';
import { serve } from '../lib/ipc.ts';
import { addressOf, RESET_PATH, SIGNIN_PATH, type AddressKind } from '../lib/shape.ts';

export interface RunSummary {
  connections: number;
  requests: number;
  seconds: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  ok: number;
  failed: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

let base = '';
const json = { accept: 'application/json', 'content-type': 'application/json' };

/**
 * autocannon notices the end of an `amount` run only at its next sample tick, so its start/finish times are
 * rounded up; the run's length here is from just before the first request to the last response.
 */
function summarise(r: autocannon.Result, ok: number, failed: number, window: { first: number; last: number }): RunSummary {
  const seconds = (window.last - window.first) / 1000;
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(v.count ?? 0);
  const requests = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  return {
    connections: r.connections,
    requests,
    seconds,
    rps: requests / seconds,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
    ok,
    failed,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
  };
}

const header = (headers: Record<string, unknown> | undefined, name: string) => {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return String(v);
  return '';
};

// ---- password reset: API flows (no cookie, no CSRF), one send_code each ---------------------------------

let resetPool: string[] = [];

async function createResetFlows(count: number): Promise<string[]> {
  const ids: string[] = [];
  if (count <= 0) return ids;
  await autocannon({
    url: base,
    connections: Math.min(32, count),
    amount: count,
    requests: [
      {
        method: 'POST',
        path: `${RESET_PATH}/api`,
        headers: json,
        body: '{}',
        onResponse: (status, body) => {
          if (status === 201) ids.push((JSON.parse(body) as { id: string }).id);
        },
      },
    ],
  });
  if (ids.length < count) throw new Error(`created only ${ids.length} of ${count} reset flows`);
  return ids;
}

/**
 * Exactly one POST per prepared item (autocannon's `amount`), `connections` at a time, so no single-use flow
 * is used twice and none is wasted; the orchestrator sizes the pools from the rate seen so far, so a run lasts
 * about the intended time. `request(item, n)` builds the n-th request; `isOk` tells success from failure.
 */
async function runPool<T>(
  pool: T[],
  connections: number,
  request: (item: T | undefined, n: number) => { path: string; headers: Record<string, string>; body: string },
  isOk: (status: number, body: string, headers: Record<string, unknown>) => boolean,
): Promise<RunSummary> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  const window = { first: performance.now(), last: 0 };
  const result = await autocannon({
    url: base,
    connections,
    amount: pool.length,
    sampleInt: 100,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const n = next++;
          return { ...req, ...request(pool[n], n) };
        },
        onResponse: (status, body, _ctx, headers) => {
          window.last = performance.now();
          if (isOk(status, body, (headers ?? {}) as Record<string, unknown>)) ok++;
          else failed++;
        },
      },
    ],
  });
  return summarise(result, ok, failed, window);
}

async function runReset(args: { connections: number; kind: AddressKind; offset: number; users: number }): Promise<RunSummary> {
  const pool = resetPool;
  resetPool = [];
  return runPool(
    pool,
    args.connections,
    (id = 'missing-flow-0000', n) => ({
      path: `${RESET_PATH}?flow=${id}`,
      headers: json,
      body: JSON.stringify({ action: 'send_code', email: addressOf(args.kind, (args.offset + n) % args.users) }),
    }),
    (status, body) => status === 200 && body.includes('"state":"code_sent"'),
  );
}

// ---- sign-in: hosted-page (browser) flows: cookie + CSRF token + form POST -> 303 to signed-in -----------

interface SignInFlow {
  path: string;
  cookie: string;
  csrf: string;
}
let signInPool: SignInFlow[] = [];

async function createSignInFlow(): Promise<SignInFlow> {
  const start = await fetch(new URL(SIGNIN_PATH, base), { redirect: 'manual' });
  await start.arrayBuffer();
  const path = start.headers.get('location');
  if (start.status !== 303 || !path) throw new Error(`sign-in start: ${start.status}`);
  const cookie = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .join('; ');
  const page = await fetch(new URL(path, base), { headers: { cookie, accept: 'application/json' } });
  const flow = (await page.json()) as { ui?: { nodes?: Array<{ name: string; value?: string }> } };
  const csrf = flow.ui?.nodes?.find((n) => n.name === 'csrf_token')?.value;
  if (!csrf) throw new Error(`sign-in flow without csrf_token (${page.status})`);
  return { path, cookie, csrf };
}

async function prepareSignIn(count: number): Promise<number> {
  const flows: SignInFlow[] = [];
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      flows.push(await createSignInFlow());
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, count) }, lane));
  signInPool = flows;
  return flows.length;
}

async function runSignIn(args: { connections: number; password: string; offset: number; users: number }): Promise<RunSummary> {
  const pool = signInPool;
  signInPool = [];
  return runPool(
    pool,
    args.connections,
    (flow = { path: `${SIGNIN_PATH}?flow=missing-flow-0000`, cookie: '', csrf: '' }, n) => ({
      path: flow.path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: flow.cookie },
      body: new URLSearchParams({ csrf_token: flow.csrf, action: 'sign_in', identifier: addressOf('existing', (args.offset + n) % args.users), password: args.password }).toString(),
    }),
    // Success is a see-other to the signed-in page; a failure redirects back to the flow's page.
    (status, _body, headers) => status === 303 && header(headers, 'location').includes('/signed-in'),
  );
}

serve({
  init: async (args: { base: string }) => {
    base = args.base;
    return true;
  },
  'reset.prepare': async (args: { count: number }) => {
    resetPool = await createResetFlows(args.count);
    return resetPool.length;
  },
  /** Fresh reset flows handed to the caller (the sequential probe runs in the orchestrator). */
  'reset.flows': async (args: { count: number }) => createResetFlows(args.count),
  'reset.run': runReset,
  'signin.prepare': async (args: { count: number }) => prepareSignIn(args.count),
  'signin.run': runSignIn,
});
