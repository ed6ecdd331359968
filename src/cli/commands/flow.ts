// `nyckel flow create|set|run-url`: user flows (B2C_1_… policies) of a tenant, through the admin API.
import { CliError } from '../context.ts';
import type { Command } from '../registry.ts';

interface Flow {
  name: string;
  type: string;
  settings: Record<string, unknown>;
}

function settingsFrom(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(String(value)) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliError(`--settings must be a JSON object, e.g. '{"passwordReset":"legacy"}'`);
}

const path = (tenant: string, rest = '') => `/admin/api/tenants/${encodeURIComponent(tenant)}/user-flows${rest}`;

export const create: Command = {
  usage: `flow create --tenant <t> --name <n> --type signIn|signUpOrSignIn|passwordReset [--settings '<json>'] [--json]`,
  options: { tenant: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' }, settings: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, values) {
    if (typeof values.tenant !== 'string' || typeof values.name !== 'string' || typeof values.type !== 'string') throw new CliError('--tenant, --name and --type are required');
    const settings = settingsFrom(values.settings);
    const flow = await (await ctx.admin()).request<Flow>('POST', path(values.tenant), { name: values.name, type: values.type, ...(settings ? { settings } : {}) });
    ctx.out(values.json ? JSON.stringify(flow) : `created user flow ${flow.name} (${flow.type})`);
    return 0;
  },
};

export const set: Command = {
  usage: `flow set --tenant <t> --flow <policy> --settings '<json>' [--json]   (merged into the flow's settings)`,
  options: { tenant: { type: 'string' }, flow: { type: 'string' }, settings: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, values) {
    if (typeof values.tenant !== 'string' || typeof values.flow !== 'string') throw new CliError('--tenant and --flow are required');
    const settings = settingsFrom(values.settings);
    if (!settings) throw new CliError('--settings is required');
    const flow = await (await ctx.admin()).request<Flow>('PATCH', path(values.tenant, `/${encodeURIComponent(values.flow)}`), { settings });
    ctx.out(values.json ? JSON.stringify(flow) : `updated user flow ${flow.name}: ${JSON.stringify(flow.settings)}`);
    return 0;
  },
};

export const runUrl: Command = {
  usage: 'flow run-url --tenant <t> --flow <policy>   (Run now: a ready sign-in URL with a test application)',
  options: { tenant: { type: 'string' }, flow: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx, values) {
    if (typeof values.tenant !== 'string' || typeof values.flow !== 'string') throw new CliError('--tenant and --flow are required');
    const { url } = await (await ctx.admin()).request<{ url: string }>('GET', path(values.tenant, `/${encodeURIComponent(values.flow)}/run-url`));
    ctx.out(values.json ? JSON.stringify({ url }) : url);
    return 0;
  },
};
