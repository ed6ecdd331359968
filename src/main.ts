// The `nyckel` CLI entry: finds the command by its words, parses its options, runs it. Errors are one clear
// line on stderr and a non-zero exit code.
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from './config/load.ts';
import { NyckelError } from './errors.ts';
import { CliError, connectAdmin, type AdminClient, type CliContext } from './cli/context.ts';
import { DataDirInUseError } from './store/embedded-lock.ts';
import { commands } from './cli/registry.ts';

function usage(): string {
  return ['Usage: nyckel <command> [options]', '', ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)} ${c.usage}`)].join('\n');
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('expected input on stdin (e.g. echo "$PASSWORD" | nyckel …)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function main(argv: string[]): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-')).slice(0, 2);
  const name = commands[words.join(' ')] ? words.join(' ') : commands[words[0] ?? ''] ? words[0] : undefined;
  if (!name || argv.includes('--help') || argv.includes('-h')) {
    (name ? console.log : console.error)(name ? `nyckel ${name}: ${commands[name]?.usage}` : usage());
    return name || argv.includes('--help') ? 0 : 2;
  }
  const command = commands[name]!;
  const rest = [...argv];
  for (const word of name.split(' ')) rest.splice(rest.indexOf(word), 1);
  let client: AdminClient | undefined;
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    const config = loadConfig();
    const ctx: CliContext = {
      config,
      out: (line) => process.stdout.write(line + '\n'),
      err: (line) => process.stderr.write(line + '\n'),
      readStdin,
      admin: async () => (client ??= await connectAdmin(config)),
    };
    return await command.run(ctx, values as Parameters<typeof command.run>[1], positionals);
  } catch (err) {
    const known = err instanceof CliError || err instanceof ConfigError || err instanceof NyckelError || err instanceof DataDirInUseError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`nyckel ${name}: ${known ? (err as Error).message : `unexpected error: ${(err as Error).stack ?? String(err)}`}\n`);
    return 1;
  } finally {
    await client?.close();
  }
}
