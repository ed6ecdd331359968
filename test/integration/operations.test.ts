// Operations endpoints and JSON logs.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../fixtures/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

it('reports health and readiness (database reachable)', async () => {
  expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${t.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(((await ready.json()) as { status: string }).status).toBe('ready');
});

it('serves the stylesheet the pages link to', async () => {
  const res = await fetch(`${t.url}/static/nyckel.css`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/css');
});

it('answers unknown paths with a 404 code, not a stack trace', async () => {
  const res = await fetch(`${t.url}/no/such/thing/here`, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'The page was not found.' } });
});
