// What a sign-in submission reads before any password is checked — its flow, the account of the identifier,
// and (rate limits in this database) the lockout counters of that account and of the client — in ONE
// statement. Read one by one they were three round trips before the step's write, and each cost the request
// thread and PostgreSQL more than the rows it carried: on 2 CPUs this took the request thread's CPU per
// sign-in from 1.2 to 1.0 ms and PostgreSQL's from 0.70 to 0.59 ms (sign-ins 188-191/s -> 195-197/s).
//
// Submissions that arrive together share the statement (store/batcher.ts): under load the hash threads answer
// in fours (credentials/hash-threads.ts), so replies leave and the next submissions come back together too.
// Each submission is a row of a VALUES list, tagged with its place in the batch, and gets its own row back.
//
// The account's counter key depends on the user found, so it is built in the statement: the caller gives the
// key's prefix and the suffix to use when no user matches (the "unknown:<identifier>" key). The text is
// written with $n parameters and handed to the driver as it is, as the step statements are
// (store/guarded-write.ts): only integers from this code are written into it.
import { CompiledQuery } from 'kysely';
import type { CounterRow, Db, SignInType } from '../database.ts';
import { keyedDbOf } from '../keyed-db.ts';
import { batcherFor, createBatcher } from '../batcher.ts';
import { Statement } from '../statement.ts';
import type { FlowRow } from './flows.ts';
import { userFromJson, type UserRow } from './users.ts';

export interface SignInRead {
  flow: FlowRow | undefined;
  user: UserRow | undefined;
  /** The live counters among the ones asked for (absent = nothing counted). */
  counters: CounterRow[];
}

export interface SignInReadRequest {
  flowId: string;
  tenantId: string;
  signInType: SignInType;
  /** Undefined when the identifier does not canonicalise: then no account matches. */
  canonicalId: string | undefined;
  counters?: { accountKeyPrefix: string; unknownAccount: string; otherKeys: string[]; now: number };
}

type Row = FlowRow & { signin_batch: number; signin_user: Record<string, unknown> | null; signin_counters: CounterRow[] };

/**
 * The statement for a batch; `withCounters` when any request in it asks for counters (a request that does not
 * has no key prefix and no keys, so it matches no counter row).
 */
function readStatement(requests: readonly SignInReadRequest[], withCounters: boolean): CompiledQuery<Row> {
  const q = new Statement();
  const p = (value: unknown, type: string) => q.param(value, type);
  const values = requests.map((a, i) => {
    const c = a.counters;
    const columns = [
      p(a.flowId, 'text'),
      p(a.tenantId, 'uuid'),
      p(a.signInType, 'text'),
      p(a.canonicalId ?? null, 'text'),
      p(c?.accountKeyPrefix ?? null, 'text'),
      p(c?.unknownAccount ?? null, 'text'),
      p(c?.otherKeys ?? [], 'text[]'),
      p(c?.now ?? 0, 'bigint'),
    ];
    return `(${i}::int, ${columns.join(', ')})`;
  });
  const counters = withCounters
    ? `(select coalesce(jsonb_agg(jsonb_build_object('key', l.key, 'points', l.points, 'expire', l.expire::text)), '[]'::jsonb)
        from rate_limits l
        where l.key = any(array[r.account_prefix || coalesce((select u.id::text from u where u.__batch = r.__batch), r.unknown_account)] || r.other_keys)
          and (l.expire is null or l.expire > r.now))`
    : `'[]'::jsonb`;
  const text = `with r as (select * from (values ${values.join(', ')})
      as r(__batch, flow_id, tenant_id, sign_in_type, canonical_id, account_prefix, unknown_account, other_keys, now)),
    u as (
      select r.__batch, users.* from r
      inner join identities on identities.tenant_id = r.tenant_id and identities.sign_in_type = r.sign_in_type
        and identities.canonical_id = r.canonical_id
      inner join users on users.id = identities.user_id)
    select r.__batch as signin_batch, f.*, (select to_jsonb(u) - '__batch' from u where u.__batch = r.__batch) as signin_user,
      ${counters} as signin_counters
    from r left join flows f on f.id = r.flow_id`;
  return CompiledQuery.raw(text, q.parameters) as CompiledQuery<Row>;
}

async function readBatch(db: Db, requests: SignInReadRequest[]): Promise<SignInRead[]> {
  const { rows } = await keyedDbOf(db).executeQuery(readStatement(requests, requests.some((a) => a.counters)));
  const out: Array<SignInRead | undefined> = requests.map(() => undefined);
  for (const { signin_batch, signin_user, signin_counters, ...flow } of rows) {
    out[signin_batch] = { flow: flow.id === null ? undefined : (flow as FlowRow), user: signin_user ? userFromJson(signin_user) : undefined, counters: signin_counters };
  }
  if (out.some((r) => r === undefined)) throw new Error('sign-in read returned no row for a request');
  return out as SignInRead[];
}

export function readSignInSubmission(db: Db, a: SignInReadRequest): Promise<SignInRead> {
  return batcherFor(db, 'sign-in-read', () => createBatcher<SignInReadRequest, SignInRead>({ run: (batch) => readBatch(db, batch), maxBatch: 32 }))(a);
}
