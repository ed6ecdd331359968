// The admin API (JSON, bearer-token protected). Every body is validated by schema; every change is audited.
//   GET/POST /admin/api/tenants
//   GET/PUT  /admin/api/tenants/:tenant/sspr                 { mode: none|selected|all, groups?: [name|id] }
//   POST     /admin/api/tenants/:tenant/users                { email?, username?, password, displayName?, … }
//   GET/POST /admin/api/tenants/:tenant/groups               { name }
//   POST     /admin/api/tenants/:tenant/groups/:group/members { user: id|email|username }
//   GET      /admin/api/tenants/:tenant/user-flows
//   GET      /admin/api/tenants/:tenant/audit?limit=
//   user flows (create/update/run-url), applications and signing keys: see oidc/admin-routes.ts
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.ts';
import { field, parse, passwordField } from '../http/validate.ts';
import { requestContext } from '../http/request-context.ts';
import { requireTenant } from '../directory/tenants.ts';
import { listAuditEvents } from '../audit/audit.ts';
import { authenticateAdmin } from './auth.ts';
import * as ops from './operations.ts';
import { registerOidcAdminRoutes } from '../oidc/admin-routes.ts';

const tenantParams = z.object({ tenant: field(100) }).strict();
const schemas = {
  tenant: z.object({ name: field(63), displayName: field(256).optional() }).strict(),
  sspr: z.object({ mode: z.enum(['none', 'selected', 'all']), groups: z.array(field(128)).max(50).optional() }).strict(),
  user: z
    .object({
      email: field(320).optional(),
      username: field(64).optional(),
      password: passwordField.optional(),
      displayName: field(256).optional(),
      givenName: field(128).optional(),
      surname: field(128).optional(),
      accountEnabled: z.boolean().optional(),
    })
    .strict(),
  group: z.object({ name: field(128) }).strict(),
  member: z.object({ user: field(320) }).strict(),
  audit: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }).strict(),
};

export function registerAdminRoutes(app: FastifyInstance, s: Services, opts: { localToken?: string }): void {
  const d = { db: s.db, hasher: s.hasher };
  const actor = async (req: FastifyRequest): Promise<ops.Actor> => {
    const admin = await authenticateAdmin(s.db, req, opts.localToken);
    const ctx = requestContext(req);
    return { name: admin.name, ip: ctx.ip, userAgent: ctx.userAgent };
  };
  const tenantOf = (req: FastifyRequest) => parse(tenantParams, req.params).tenant;

  app.get('/admin/api/tenants', async (req) => {
    await actor(req);
    return { value: await ops.tenantList(d) };
  });
  app.post('/admin/api/tenants', async (req, reply) => {
    const a = await actor(req);
    return reply.status(201).send(await ops.tenantCreate(d, a, parse(schemas.tenant, req.body)));
  });
  app.get('/admin/api/tenants/:tenant/sspr', async (req) => {
    await actor(req);
    return ops.ssprGet(d, tenantOf(req));
  });
  app.put('/admin/api/tenants/:tenant/sspr', async (req) => {
    const a = await actor(req);
    const body = parse(schemas.sspr, req.body);
    return ops.ssprSet(d, a, tenantOf(req), { mode: body.mode, ...(body.groups ? { groups: body.groups } : {}) });
  });
  app.post('/admin/api/tenants/:tenant/users', async (req, reply) => {
    const a = await actor(req);
    const body = parse(schemas.user, req.body);
    return reply.status(201).send(await ops.userCreate(d, a, tenantOf(req), Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined))));
  });
  app.get('/admin/api/tenants/:tenant/groups', async (req) => {
    await actor(req);
    return { value: await ops.groupList(d, tenantOf(req)) };
  });
  app.post('/admin/api/tenants/:tenant/groups', async (req, reply) => {
    const a = await actor(req);
    return reply.status(201).send(await ops.groupCreate(d, a, tenantOf(req), parse(schemas.group, req.body).name));
  });
  app.post('/admin/api/tenants/:tenant/groups/:group/members', async (req) => {
    const a = await actor(req);
    const params = parse(z.object({ tenant: field(100), group: field(128) }).strict(), req.params);
    return ops.groupAdd(d, a, params.tenant, params.group, parse(schemas.member, req.body).user);
  });
  app.get('/admin/api/tenants/:tenant/user-flows', async (req) => {
    await actor(req);
    return { value: await ops.userFlowList(d, tenantOf(req)) };
  });
  app.get('/admin/api/tenants/:tenant/audit', async (req) => {
    await actor(req);
    const tenant = await requireTenant(s.db, tenantOf(req));
    const q = parse(schemas.audit, req.query);
    const events = await listAuditEvents(s.db, tenant.id, q.limit ?? 100);
    return { value: events.map((e) => ({ ...e, at: e.at.toISOString() })) };
  });
  registerOidcAdminRoutes(app, s, actor);
}
