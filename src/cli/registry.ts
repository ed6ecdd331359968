// Every CLI command, by its words. A command is a small module: usage line, parseArgs options, run().
import type { ParseArgsConfig } from 'node:util';
import type { CliContext } from './context.ts';
import * as start from './commands/start.ts';
import * as migrate from './commands/migrate.ts';
import * as tenant from './commands/tenant.ts';
import * as user from './commands/user.ts';
import * as group from './commands/group.ts';
import * as sspr from './commands/sspr.ts';
import * as app from './commands/app.ts';
import * as flow from './commands/flow.ts';
import * as keys from './commands/keys.ts';
import * as devCert from './commands/dev-cert.ts';

export interface Command {
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: CliContext, values: Record<string, string | boolean | string[] | boolean[] | undefined>, positionals: string[]): Promise<number>;
}

export const commands: Record<string, Command> = {
  start: start.command,
  migrate: migrate.command,
  'tenant create': tenant.create,
  'tenant list': tenant.list,
  'user create': user.create,
  'group create': group.create,
  'group add': group.add,
  sspr: sspr.command,
  'app create': app.create,
  'app list': app.list,
  'flow create': flow.create,
  'flow set': flow.set,
  'flow run-url': flow.runUrl,
  'keys rotate': keys.rotate,
  'dev-cert': devCert.command,
};
