// Tiny request/response RPC over Node's IPC channel, so the load generator and the SMTP sink run in their own
// processes (own event loop, own CPU accounting) and the orchestrator just calls them.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runTs = fileURLToPath(new URL('../../bin/run-ts.mjs', import.meta.url));

type Handler = (args: never) => Promise<unknown>;

interface Call {
  id: number;
  type: string;
  args: unknown;
}
type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

export interface Child {
  readonly pid: number;
  call<T>(type: string, args?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Forks `script` (TypeScript, through tsx) and resolves once it says it is ready. */
export async function forkChild(script: string, env: NodeJS.ProcessEnv = {}): Promise<Child> {
  const proc: ChildProcess = fork(runTs, [fileURLToPath(new URL(`../${script}`, import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 1;
  let exited = false;
  const ready = new Promise<void>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`${script} exited early (code ${code})`)));
    proc.on('message', (m: unknown) => {
      if ((m as { type?: string }).type === 'ready') return resolve();
      const reply = m as Reply;
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new Error(`${script}: ${reply.error}`));
    });
  });
  proc.on('exit', (code) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`${script} exited (code ${code})`));
    pending.clear();
  });
  await ready;
  return {
    pid: proc.pid ?? -1,
    call<T>(type: string, args?: unknown) {
      if (exited) return Promise.reject(new Error(`${script} is not running`));
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ id, type, args } satisfies Call);
      });
    },
    async close() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** In a child: answers calls with the given handlers, then reports ready. */
export function serve(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('serve() needs an IPC channel (run through forkChild)');
  process.on('message', (m: unknown) => {
    const call = m as Call;
    const handler = handlers[call.type];
    const send = (reply: Reply) => process.send?.(reply);
    if (!handler) return send({ id: call.id, ok: false, error: `unknown call ${call.type}` });
    handler(call.args as never).then(
      (result) => send({ id: call.id, ok: true, result }),
      (err: unknown) => send({ id: call.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
  process.on('SIGTERM', () => process.exit(0));
  // The orchestrator going away (crash, Ctrl-C) must not leave load generators behind.
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready' });
}
