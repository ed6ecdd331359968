import { CliError } from '../context.ts';
import type { Command } from '../registry.ts';

export const create: Command = {
  usage: 'group create --tenant <t> <name>',
  options: { tenant: { type: 'string' }, name: { type: 'string' } },
  async run(ctx, values, positionals) {
    const name = (values.name as string | undefined) ?? positionals[0];
    if (typeof values.tenant !== 'string' || !name) throw new CliError('usage: nyckel group create --tenant <t> <name>');
    const admin = await ctx.admin();
    const group = await admin.request<{ id: string; name: string }>('POST', `/admin/api/tenants/${encodeURIComponent(values.tenant)}/groups`, { name });
    ctx.out(`created group ${group.name} (${group.id})`);
    return 0;
  },
};

export const add: Command = {
  usage: 'group add --tenant <t> --group <name> --user <id|email|username>',
  options: { tenant: { type: 'string' }, group: { type: 'string' }, user: { type: 'string' } },
  async run(ctx, values) {
    const { tenant, group, user } = values;
    if (typeof tenant !== 'string' || typeof group !== 'string' || typeof user !== 'string') throw new CliError('--tenant, --group and --user are required');
    const admin = await ctx.admin();
    const result = await admin.request<{ userId: string; group: { name: string } }>(
      'POST',
      `/admin/api/tenants/${encodeURIComponent(tenant)}/groups/${encodeURIComponent(group)}/members`,
      { user },
    );
    ctx.out(`added user ${result.userId} to group ${result.group.name}`);
    return 0;
  },
};
