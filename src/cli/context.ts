// What every CLI command gets: config, output streams, stdin, and an admin client. The admin client talks to
// the admin API — through the running server when one owns the embedded database (PGlite admits one process),
// otherwise through an in-process app on the same database. Either way the same routes validate the input.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Config } from '../config/schema.ts';
import { createApp, type NyckelApp } from '../app.ts';
import { randomToken } from '../security/secrets.ts';
import { processAlive } from '../store/embedded-lock.ts';

export class CliError extends Error {}

export interface AdminClient {
  request<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** The in-process app (direct mode only), for commands that need services rather than the API. */
  local?: NyckelApp;
  close(): Promise<void>;
}

export interface CliContext {
  config: Config;
  out(line: string): void;
  err(line: string): void;
  readStdin(): Promise<string>;
  admin(): Promise<AdminClient>;
}

interface ServerFile {
  url: string;
  pid: number;
  token: string;
}

const serverFile = (config: Config) => join(config.dataDir, 'server.json');

export function writeServerFile(config: Config, info: ServerFile): void {
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(serverFile(config), JSON.stringify(info), { mode: 0o600 });
}

export function removeServerFile(config: Config): void {
  rmSync(serverFile(config), { force: true });
}

function runningServer(config: Config): ServerFile | undefined {
  const file = serverFile(config);
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as ServerFile;
    return processAlive(info.pid) ? info : undefined; // a stale file from a crash names a process that is gone
  } catch {
    return undefined;
  }
}

async function errorOf(res: { status: number; json(): Promise<unknown> }): Promise<CliError> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  return new CliError(`${body.error?.message ?? 'request failed'} (${body.error?.code ?? res.status})`);
}

export async function connectAdmin(config: Config): Promise<AdminClient> {
  const server = config.databaseUrl ? undefined : runningServer(config);
  if (server) {
    return {
      async request(method, path, body) {
        const res = await fetch(new URL(path, server.url), {
          method,
          headers: { authorization: `Bearer ${server.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        if (!res.ok) throw await errorOf(res);
        return (await res.json()) as never;
      },
      close: async () => {},
    };
  }
  const token = randomToken(24);
  const local = await createApp(config, { logger: pino({ level: 'silent' }), localToken: token, dispatch: false });
  await local.app.ready();
  return {
    local,
    async request(method, path, body) {
      const res = await local.app.inject({ method, url: path, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { payload: body as object } : {}) });
      if (res.statusCode >= 400) throw await errorOf({ status: res.statusCode, json: async () => res.json() });
      return res.json() as never;
    },
    async close() {
      // Deliver what the command queued (e.g. nothing today; kept for commands that send mail).
      await local.close();
    },
  };
}
