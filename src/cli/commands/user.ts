import { CliError } from '../context.ts';
import type { Command } from '../registry.ts';

export const create: Command = {
  usage: 'user create --tenant <t> --email <e> [--username <u>] --password-stdin [--display-name <n>] [--json]',
  options: {
    tenant: { type: 'string' },
    email: { type: 'string' },
    username: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'display-name': { type: 'string' },
    'given-name': { type: 'string' },
    surname: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx, values) {
    if (typeof values.tenant !== 'string') throw new CliError('--tenant is required');
    if (typeof values.email !== 'string' && typeof values.username !== 'string') throw new CliError('--email or --username is required');
    // Passwords come only from stdin: never from argv, which other users can read in the process list.
    const password = values['password-stdin'] ? await ctx.readStdin() : undefined;
    if (values['password-stdin'] && !password) throw new CliError('the password read from stdin is empty');
    const body = Object.fromEntries(
      Object.entries({
        email: values.email,
        username: values.username,
        password,
        displayName: values['display-name'],
        givenName: values['given-name'],
        surname: values.surname,
      }).filter(([, v]) => v !== undefined),
    );
    const admin = await ctx.admin();
    const user = await admin.request<{ id: string }>('POST', `/admin/api/tenants/${encodeURIComponent(values.tenant)}/users`, body);
    ctx.out(values.json ? JSON.stringify(user) : `created user ${user.id}`);
    return 0;
  },
};
