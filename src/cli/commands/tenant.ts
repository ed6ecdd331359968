import { CliError } from '../context.ts';
import type { Command } from '../registry.ts';

export const create: Command = {
  usage: 'tenant create <name> [--display-name <text>] [--json]',
  options: { 'display-name': { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, values, positionals) {
    const name = positionals[0];
    if (!name || positionals.length > 1) throw new CliError('give exactly one tenant name, e.g. nyckel tenant create fabrikam');
    const admin = await ctx.admin();
    const tenant = await admin.request<{ id: string; name: string; domain: string }>('POST', '/admin/api/tenants', {
      name,
      ...(values['display-name'] ? { displayName: values['display-name'] } : {}),
    });
    ctx.out(values.json ? JSON.stringify(tenant) : `created tenant ${tenant.name} (${tenant.domain}, id ${tenant.id})`);
    return 0;
  },
};

export const list: Command = {
  usage: 'tenant list [--json]',
  options: { json: { type: 'boolean' } },
  async run(ctx, values) {
    const admin = await ctx.admin();
    const { value } = await admin.request<{ value: Array<{ id: string; name: string; displayName: string }> }>('GET', '/admin/api/tenants');
    if (values.json) ctx.out(JSON.stringify(value));
    else for (const t of value) ctx.out(`${t.name}\t${t.id}\t${t.displayName}`);
    return 0;
  },
};
