// `nyckel app create|list`: applications (OAuth clients) of a tenant, through the admin API.
import { CliError } from '../context.ts';
import type { Command } from '../registry.ts';

interface Created {
  client_id: string;
  client_secret?: string;
  name: string;
  type: string;
  redirect_uris: string[];
}

export const create: Command = {
  usage: 'app create --tenant <t> --name <n> --type web|spa|native --redirect-uri <url>… [--json]',
  options: { tenant: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' }, 'redirect-uri': { type: 'string', multiple: true }, json: { type: 'boolean' } },
  async run(ctx, values) {
    const { tenant, name, type } = values;
    if (typeof tenant !== 'string' || typeof name !== 'string') throw new CliError('--tenant and --name are required');
    if (typeof type !== 'string' || !['web', 'spa', 'native'].includes(type)) throw new CliError('--type must be web, spa or native');
    const redirectUris = (values['redirect-uri'] ?? []) as string[];
    if (redirectUris.length === 0) throw new CliError('give at least one --redirect-uri');
    const admin = await ctx.admin();
    const app = await admin.request<Created>('POST', `/admin/api/tenants/${encodeURIComponent(tenant)}/applications`, { name, type, redirectUris });
    if (values.json) {
      ctx.out(JSON.stringify({ client_id: app.client_id, client_secret: app.client_secret ?? null }));
      return 0;
    }
    ctx.out(`created ${app.type} application ${app.name}`);
    ctx.out(`  client id:     ${app.client_id}`);
    if (app.client_secret) ctx.out(`  client secret: ${app.client_secret}   (shown once: store it now)`);
    return 0;
  },
};

export const list: Command = {
  usage: 'app list --tenant <t> [--json]',
  options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, values) {
    if (typeof values.tenant !== 'string') throw new CliError('--tenant is required');
    const admin = await ctx.admin();
    const { value } = await admin.request<{ value: Array<{ client_id: string; name: string; type: string; redirect_uris: string[] }> }>('GET', `/admin/api/tenants/${encodeURIComponent(values.tenant)}/applications`);
    if (values.json) ctx.out(JSON.stringify(value));
    else for (const a of value) ctx.out(`${a.client_id}\t${a.type}\t${a.name}\t${a.redirect_uris.join(' ')}`);
    return 0;
  },
};
