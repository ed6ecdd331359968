// A short-lived in-process cache for directory configuration read on every hosted-page request: a tenant and
// one of its user flows. They change only through admin actions, so reading them from the database on every
// request (two round trips) is waste; serving them from memory is the single biggest saving on the hot paths.
//
// Consistency: every write to tenants or user_flows (store/queries/tenants.ts, user-flows.ts) calls
// `invalidateDirectoryConfig()`, so this process sees its own changes at once, and sends a PostgreSQL
// notification on DIRECTORY_CHANNEL; other processes sharing the database (more instances, the CLI) listen
// (`listenForDirectoryChanges`) and drop their caches when it arrives. Should a notification be missed (the
// listening connection down), TTL_MS bounds how stale a process can be. Concurrent misses for one key share
// one load (no stampede), and a failed load is not cached.
import pg from 'pg';

export const DIRECTORY_CHANNEL = 'nyckel_directory';
const TTL_MS = 3_000;
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  at: number;
  generation: number;
  value: Promise<T>;
}

let generation = 0;
const entries = new Map<string, Entry<unknown>>();

/** Drops everything cached (any tenant or user flow changed). Cheap: a counter bump. */
export function invalidateDirectoryConfig(): void {
  generation++;
  entries.clear();
}

/** `load()`'s value for `key`, from memory when loaded less than TTL_MS ago and nothing changed since. */
export function cachedConfig<T>(scope: object, key: string, load: () => Promise<T>): Promise<T> {
  const id = `${scopeId(scope)}\u0000${key}`;
  const now = Date.now();
  const hit = entries.get(id) as Entry<T> | undefined;
  if (hit && hit.generation === generation && now - hit.at < TTL_MS) return hit.value;
  if (entries.size >= MAX_ENTRIES) entries.clear(); // bounded: hostile keys cannot grow it without limit
  const at = generation;
  const value = load();
  entries.set(id, { at: now, generation: at, value });
  value.catch(() => {
    if (entries.get(id)?.value === value) entries.delete(id);
  });
  return value;
}

// One cache serves several databases in one process (tests open many): entries are scoped per Kysely instance.
const scopes = new WeakMap<object, number>();
let nextScope = 0;
function scopeId(scope: object): number {
  let n = scopes.get(scope);
  if (n === undefined) scopes.set(scope, (n = nextScope++));
  return n;
}

/**
 * Keeps a connection LISTENing on DIRECTORY_CHANNEL and invalidates on every notification; reconnects after
 * a drop (invalidating then too, since changes may have been missed). Resolves once the first LISTEN is in
 * place; `stop()` closes it.
 */
export async function listenForDirectoryChanges(databaseUrl: string, onError: (err: unknown) => void): Promise<{ stop(): Promise<void> }> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('notification', (n) => {
      if (n.channel === DIRECTORY_CHANNEL) invalidateDirectoryConfig();
    });
    const reconnect = (err?: unknown) => {
      if (client !== c || stopped) return;
      client = undefined;
      if (err) onError(err);
      invalidateDirectoryConfig();
      c.end().catch(() => {});
      retry = setTimeout(() => void connect().catch(reconnectLater), 1_000);
      retry.unref();
    };
    const reconnectLater = (err: unknown) => {
      onError(err);
      if (stopped) return;
      retry = setTimeout(() => void connect().catch(reconnectLater), 5_000);
      retry.unref();
    };
    c.on('error', reconnect);
    c.on('end', () => reconnect());
    await c.connect();
    await c.query(`LISTEN ${DIRECTORY_CHANNEL}`);
    client = c;
    invalidateDirectoryConfig();
  };
  await connect();
  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
