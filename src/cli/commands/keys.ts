// `nyckel keys rotate`: a new signing key for a tenant; the old one stays published until its tokens expire.
import { CliError } from '../context.ts';
import type { Command } from '../registry.ts';

export const rotate: Command = {
  usage: 'keys rotate --tenant <t> [--json]',
  options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, values) {
    if (typeof values.tenant !== 'string') throw new CliError('--tenant is required');
    const result = await (await ctx.admin()).request<{ kid: string; retired: string | null }>('POST', `/admin/api/tenants/${encodeURIComponent(values.tenant)}/keys/rotate`, {});
    ctx.out(values.json ? JSON.stringify(result) : `new signing key ${result.kid}${result.retired ? `; ${result.retired} stays published until its tokens expire` : ''}`);
    return 0;
  },
};
