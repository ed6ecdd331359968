import { CliError } from '../context.ts';
import type { Command } from '../registry.ts';

interface Sspr {
  mode: string;
  groups: Array<{ name: string }>;
}

export const command: Command = {
  usage: 'sspr --tenant <t> [--mode none|selected|all] [--group <name>]…   (without --mode: show the setting)',
  options: { tenant: { type: 'string' }, mode: { type: 'string' }, group: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  async run(ctx, values) {
    if (typeof values.tenant !== 'string') throw new CliError('--tenant is required');
    const path = `/admin/api/tenants/${encodeURIComponent(values.tenant)}/sspr`;
    const admin = await ctx.admin();
    let result: Sspr;
    if (values.mode === undefined) {
      result = await admin.request<Sspr>('GET', path);
    } else {
      if (!['none', 'selected', 'all'].includes(values.mode as string)) throw new CliError('--mode must be none, selected or all');
      result = await admin.request<Sspr>('PUT', path, { mode: values.mode, ...(values.group ? { groups: values.group } : {}) });
    }
    const groups = result.groups.map((g) => g.name).join(', ');
    ctx.out(values.json ? JSON.stringify(result) : `self-service password reset: ${result.mode}${groups ? ` (groups: ${groups})` : ''}`);
    return 0;
  },
};
