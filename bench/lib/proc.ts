// Process accounting from /proc (Linux): CPU time per process, the machine's total CPU use (to tell how much
// other work shared the machine during a run), and peak RSS.
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * utime + stime of one process (all threads), in ms; undefined when it is gone or there is no /proc.
 * `pid/task/tid` names one thread of it.
 */
export function cpuMs(pid: number | string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** CPU time (ms) the whole machine spent busy (everything but idle and iowait), summed over CPUs. */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - (v[3] ?? 0) - (v[4] ?? 0)) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** A process and all its descendants (the server's cluster workers), from /proc. */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return [root];
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

/** VmHWM (peak resident set) of a live process, in KiB. */
export function peakRssKiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL processes working for this run: backends connected to the run's database plus the server's
 * background processes (WAL writer, checkpointer…). Backends of other databases (other users of a shared
 * server) are left out, so their work shows up as "other" load instead.
 */
export async function postgresPids(adminUrl: string, database: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `select pid from pg_stat_activity where (datname = $1 or backend_type <> 'client backend') and pid <> pg_backend_pid()`,
      [database],
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

/**
 * PostgreSQL's current WAL position in bytes (the whole server's WAL, as the background processes are). WAL
 * bytes per request do not depend on how fast the machine happens to be: a change that writes less shows as
 * less here even where the noise of a shared VM hides it in requests per second.
 */
export async function walPosition(adminUrl: string): Promise<bigint> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
    const [hi, lo] = (rows[0]?.lsn ?? '0/0').split('/');
    return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
  } finally {
    await client.end();
  }
}

export interface CpuSnapshot {
  at: number;
  machine: number | undefined;
  byName: Record<string, Map<number | string, number>>;
}

export function cpuSnapshot(groups: Record<string, Array<number | string>>): CpuSnapshot {
  const byName: Record<string, Map<number | string, number>> = {};
  for (const [name, pids] of Object.entries(groups)) {
    const m = new Map<number | string, number>();
    for (const pid of pids) {
      const ms = cpuMs(pid);
      if (ms !== undefined) m.set(pid, ms);
    }
    byName[name] = m;
  }
  return { at: performance.now(), machine: machineBusyMs(), byName };
}

export interface CpuUse {
  /** Cores busy on average over the step (1.0 = one core fully used); `other` = the rest of the machine. */
  cores: Record<string, number>;
  /** CPU time used during the step, ms, per process group (and `other`). */
  ms: Record<string, number>;
  /** Length of the step, ms. */
  wallMs: number;
}

/** Groups that are a part of the `server` group (one of its threads), not more of the machine. */
export const PART_OF_SERVER = new Set(['serverMainThread']);

export function cpuDiff(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const wall = b.at - a.at;
  const ms: Record<string, number> = {};
  let ours = 0;
  for (const [name, after] of Object.entries(b.byName)) {
    const before = a.byName[name] ?? new Map<number | string, number>();
    let used = 0;
    for (const [pid, t] of after) used += t - (before.get(pid) ?? 0); // a pid new since `a` counts whole
    if (!PART_OF_SERVER.has(name)) ours += used;
    ms[name] = used;
  }
  if (a.machine !== undefined && b.machine !== undefined) ms.other = Math.max(0, b.machine - a.machine - ours);
  const cores = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, round2(v / wall)]));
  return { cores, ms, wallMs: wall };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
