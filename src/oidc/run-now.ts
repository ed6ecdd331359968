// "Run now": an admin opens a ready authorize URL for any user flow. It uses the tenant's built-in test
// application, whose redirect page is served by Nyckel and shows the ID token's claims (Nyckel's jwt.ms).
// The test application is a confidential client whose secret is derived from the server secret, so only
// this server can redeem its codes; it is created on first use.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { NyckelError } from '../errors.ts';
import { field, parse } from '../http/validate.ts';
import { requireTenant, type Tenant } from '../directory/tenants.ts';
import { findUserFlow } from '../store/queries/user-flows.ts';
import { createApplication, findBuiltInApplication } from './applications.ts';
import { renderRunNowPage } from './run-now-page.ts';
import { deleteApplication } from '../store/queries/applications.ts';

const BUILT_IN = 'run-now';

const callbackUrl = (s: Services, tenant: Tenant) => new URL(`/${tenant.name}/runnow/callback`, s.config.publicUrl).href;
const testSecret = (s: Services, tenant: Tenant) => s.keys.hmac('signing-keys', 'run-now-client', tenant.id);

async function testApplication(s: Services, tenant: Tenant): Promise<string> {
  const redirect = callbackUrl(s, tenant);
  const existing = await findBuiltInApplication(s.db, tenant.id, BUILT_IN);
  if (existing?.redirect_uris.includes(redirect)) return existing.id;
  if (existing) await deleteApplication(s.db, tenant.id, existing.id); // the public URL changed
  try {
    const created = await createApplication(s.db, tenant.id, { name: 'Run now (test application)', type: 'web', redirectUris: [redirect], builtIn: BUILT_IN, secret: testSecret(s, tenant) }, async () => {});
    return created.client_id;
  } catch (err) {
    // Another request created it at the same moment.
    const raced = await findBuiltInApplication(s.db, tenant.id, BUILT_IN);
    if (raced) return raced.id;
    throw err;
  }
}

/** A ready authorize URL for the policy, through the tenant's test application. */
export async function runNowUrl(s: Services, tenantKey: string, policy: string): Promise<string> {
  const tenant = await requireTenant(s.db, tenantKey);
  const flow = await findUserFlow(s.db, tenant.id, policy);
  if (!flow) throw new NyckelError('policy.not_found', 404);
  const clientId = await testApplication(s, tenant);
  const q = new URLSearchParams({
    client_id: clientId,
    redirect_uri: callbackUrl(s, tenant),
    response_type: 'code',
    scope: 'openid',
    nonce: randomBytes(12).toString('base64url'),
    // B2C's Run now always asks for credentials; the state names the policy whose token endpoint redeems.
    prompt: 'login',
    state: flow.name,
  });
  return new URL(`/${tenant.name}/${flow.name}/oauth2/v2.0/authorize?${q}`, s.config.publicUrl).href;
}

const callbackQuery = z
  .object({
    code: field(512).optional(),
    state: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional(),
    error: field(100).optional(),
    error_description: field(2000).optional(),
    iss: field(300).optional(),
  })
  .strict();

export function registerRunNowRoutes(app: FastifyInstance, s: Services): void {
  app.get('/:tenant/runnow/callback', async (req, reply) => {
    const tenant = await requireTenant(s.db, parse(z.object({ tenant: field(100) }).strict(), req.params).tenant);
    const q = parse(callbackQuery, req.query);
    const send = (result: Parameters<typeof renderRunNowPage>[0]) => reply.type('text/html; charset=utf-8').send(renderRunNowPage(result));
    if (q.error || !q.code || !q.state) return send({ error: q.error ?? 'invalid_request', description: q.error_description ?? 'The response holds no authorization code.' });
    const clientId = (await findBuiltInApplication(s.db, tenant.id, BUILT_IN))?.id;
    if (!clientId) return send({ error: 'invalid_client', description: 'The test application does not exist.' });
    // Redeemed through this server's own token endpoint, exactly as an app would.
    const res = await app.inject({
      method: 'POST',
      url: `/${tenant.name}/${q.state}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'authorization_code', code: q.code, redirect_uri: callbackUrl(s, tenant), client_id: clientId, client_secret: testSecret(s, tenant) }).toString(),
    });
    let body: { id_token?: string; error?: string; error_description?: string } = {};
    try {
      body = res.json();
    } catch {
      body = { error: 'server_error', error_description: `The token endpoint answered ${res.statusCode}.` };
    }
    if (!body.id_token) return send({ error: body.error ?? 'server_error', description: body.error_description ?? 'No ID token was issued.' });
    return send({ idToken: body.id_token });
  });
}
