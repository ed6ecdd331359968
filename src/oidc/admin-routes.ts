// Admin API for apps (registered by admin/routes.ts, behind its authentication). Bodies validated by schema;
// every change audited (never with a secret).
//   POST  /admin/api/tenants/:tenant/user-flows               { name, type, settings? }
//   PATCH /admin/api/tenants/:tenant/user-flows/:name         { settings }
//   GET   /admin/api/tenants/:tenant/user-flows/:name/run-url → { url }
//   GET/POST /admin/api/tenants/:tenant/applications          { name, type: web|spa|native, redirectUris }
//   POST  /admin/api/tenants/:tenant/keys/rotate              → { kid, retired }
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { audit } from '../audit/audit.ts';
import { field, parse } from '../http/validate.ts';
import { requireTenant } from '../directory/tenants.ts';
import { createApplication, listApplicationViews } from './applications.ts';
import { rotateSigningKey } from './keys.ts';
import { runNowUrl } from './run-now.ts';
import { clientValidator, providersFor } from './runtime.ts';
import { createUserFlow, updateUserFlow, userFlowCreateSchema, userFlowSettingsSchema } from './user-flows.ts';

export interface AdminActor {
  name: string;
  ip?: string | null;
  userAgent?: string | null;
}

const tenantParams = z.object({ tenant: field(100) }).strict();
const flowParams = z.object({ tenant: field(100), name: field(100) }).strict();
const applicationSchema = z
  .object({
    name: field(256).refine((v) => v.trim().length > 0, 'name is required'),
    type: z.enum(['web', 'spa', 'native']),
    redirectUris: z.array(field(2000)).min(1).max(50),
  })
  .strict();

export function registerOidcAdminRoutes(app: FastifyInstance, s: Services, actor: (req: FastifyRequest) => Promise<AdminActor>): void {
  const record = (a: AdminActor, tenantId: string, type: string, target: string, details?: Record<string, string>) =>
    audit(s.db, { tenantId, type, result: 'success', actor: `admin:${a.name}`, target, ...(details ? { details } : {}) }, { ip: a.ip ?? null, userAgent: a.userAgent ?? null });

  app.post('/admin/api/tenants/:tenant/user-flows', async (req, reply) => {
    const a = await actor(req);
    const tenant = await requireTenant(s.db, parse(tenantParams, req.params).tenant);
    const flow = await createUserFlow(s.db, tenant, parse(userFlowCreateSchema, req.body));
    await record(a, tenant.id, 'admin.user_flow_created', `user_flow:${flow.name}`, { type: flow.type });
    return reply.status(201).send(flow);
  });

  app.patch('/admin/api/tenants/:tenant/user-flows/:name', async (req) => {
    const a = await actor(req);
    const p = parse(flowParams, req.params);
    const tenant = await requireTenant(s.db, p.tenant);
    const body = parse(z.object({ settings: userFlowSettingsSchema }).strict(), req.body);
    const flow = await updateUserFlow(s.db, tenant, p.name, body.settings);
    await record(a, tenant.id, 'admin.user_flow_updated', `user_flow:${flow.name}`, { settings: Object.keys(body.settings).join(',') });
    return flow;
  });

  app.get('/admin/api/tenants/:tenant/user-flows/:name/run-url', async (req) => {
    await actor(req);
    const p = parse(flowParams, req.params);
    return { url: await runNowUrl(s, p.tenant, p.name) };
  });

  app.get('/admin/api/tenants/:tenant/applications', async (req) => {
    await actor(req);
    const tenant = await requireTenant(s.db, parse(tenantParams, req.params).tenant);
    return { value: await listApplicationViews(s.db, tenant.id) };
  });

  app.post('/admin/api/tenants/:tenant/applications', async (req, reply) => {
    const a = await actor(req);
    const tenant = await requireTenant(s.db, parse(tenantParams, req.params).tenant);
    const body = parse(applicationSchema, req.body);
    const created = await createApplication(s.db, tenant.id, { name: body.name.trim(), type: body.type, redirectUris: body.redirectUris }, clientValidator(s, tenant.id));
    await record(a, tenant.id, 'admin.application_created', `application:${created.client_id}`, { type: created.type });
    // The secret is in this response only; it is stored as a hash.
    return reply.status(201).header('Cache-Control', 'no-store').send(created);
  });

  app.post('/admin/api/tenants/:tenant/keys/rotate', async (req) => {
    const a = await actor(req);
    const tenant = await requireTenant(s.db, parse(tenantParams, req.params).tenant);
    parse(z.object({}).strict(), req.body ?? {});
    const result = await rotateSigningKey(s.db, s.keys, tenant.id);
    providersFor(s).invalidate(tenant.id);
    await record(a, tenant.id, 'admin.signing_key_rotated', `key:${result.kid}`, { retired: result.retired ?? '' });
    return { kid: result.kid, retired: result.retired ?? null };
  });
}
