// One statement for a whole step of a flow: the flow's compare-and-set move (from the state and version it was
// read in) plus the writes that must happen with it and only with it — a code, its mail, audit rows, a
// session — as "effects". Steps of concurrent requests are coalesced (store/batcher.ts) into the same
// statement, so one statement and one commit serve many requests:
//
//   with h as (update flows f set … from (values (0, id0, …), (1, id1, …)) v(__batch, id, …)
//              where f.id = v.id and f.state = v.from_state and f.version = v.from_version and f.expires_at > now
//              returning v.__batch, f.*),
//        e0 as (insert into audit_events (…) select … from (values (0, …), (1, …)) x(__batch, …)
//               where x.__batch in (select __batch from h)),
//        e1 as (update verification_codes t set … from (values …) x(__batch, …)
//               where t.flow_id = x.flow_id and … and x.__batch in (select __batch from h))
//   select * from h
//
// Effects of one kind (same table and columns) from every step share one INSERT or UPDATE, tagged by step;
// each runs only for steps whose move won. PostgreSQL runs every data-modifying CTE exactly once, in one
// snapshot and one transaction, so each step is atomic: when its move matches no row (a parallel request
// moved the flow first), none of its effects are written. Effects see the snapshot from before the
// statement, so "supersede the flow's live codes" and "insert the new code" never touch each other's rows.
//
// A step may also spend rate-limit counters (`spends`, store/queries/rate-limits.ts): their upserts come first
// (c0, c1…, all of them in c), then g lists the steps whose every count stays within its window, and such a
// step moves only if g lists it — `and (not v.gated or v.__batch in (select __batch from g))`. The spends are
// written either way; the counters come back after the moved flows, so each step learns what it spent.
import { CompiledQuery } from 'kysely';
import type { CounterRow, Db } from './database.ts';
import type { FlowRow } from './queries/flows.ts';
import { batcherFor, createBatcher } from './batcher.ts';
import { asyncCommitDbOf, keyedDbOf } from './keyed-db.ts';
import { Statement } from './statement.ts';
import { passingSql, spendCountersSql, spentCounters, type CounterSpend, type CounterSpends, type SpentCounter } from './queries/rate-limits.ts';

/** A value with the SQL type it is cast to (parameters in VALUES lists carry no type of their own). */
export interface Typed {
  value: unknown;
  type: string;
}

export type Effect =
  /** Insert this row. */
  | { kind: 'insert'; table: string; row: Record<string, Typed> }
  /** `update table set <set> where <match columns equal> and <also>` (also: constant SQL, no input). */
  | { kind: 'update'; table: string; set: Record<string, Typed>; match: Record<string, Typed>; also?: string };

export interface FlowMove {
  /** The flow as read: the move is a compare-and-set on its id, state and version. */
  from: FlowRow;
  to: { state: string; data: Record<string, unknown>; userId?: string | null };
}

export interface Step {
  move: FlowMove;
  effects: readonly Effect[];
  /**
   * Rate-limit counters the step spends in its own statement (store/queries/rate-limits.ts). They are spent
   * whether or not the move happens; the move, and so every effect, happens only when each of them stays
   * within its window.
   */
  spends?: readonly CounterSpend[];
}

/** The moved flow (undefined: not moved, nothing written but the spends) and what each spend saw. */
export interface StepOutcome {
  flow: FlowRow | undefined;
  spent: SpentCounter[];
}

/** Insert `row` with the step. Values are cast to `types[column]`, or to text for columns not named there. */
export const insertWhere = (table: string, row: Record<string, unknown>, types: Record<string, string> = {}): Effect => ({
  kind: 'insert',
  table,
  row: Object.fromEntries(Object.entries(row).map(([column, value]) => [column, { value, type: types[column] ?? 'text' }])),
});

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const TYPE = /^[a-z][a-z0-9_ ]*(\[\])?$/;
const typeOf = (t: Typed) => {
  if (!TYPE.test(t.type)) throw new Error(`guarded write: not a type name: ${t.type}`);
  return t.type;
};

/**
 * What effects of one kind share: their table, columns and types, and the SQL around their VALUES rows. Made
 * once per kind and kept (the kinds are the code's own: a few dozen at most), so a batch only writes its rows.
 */
interface Shape {
  /** Per value column, in row order: where it comes from ('row', 'set' or 'match'), its name and type. */
  columns: ReadonlyArray<{ from: 'row' | 'set' | 'match'; name: string; type: string }>;
  /** The CTE's text before and after `(values …)`, without its name. */
  before: string;
  after: string;
}
/**
 * Shapes are found by walking a tree of the effect's table, column names and types (and an update's constant
 * condition), not by a key string: those names are the code's own string constants, whose hashes V8 keeps, so
 * the walk hashes nothing. Building and looking up a key string per effect cost ~5 µs per reset step.
 */
interface ShapeNode {
  next: Map<string, ShapeNode>;
  shape?: Shape;
}
const shapeTree: Record<Effect['kind'], Map<string, ShapeNode>> = { insert: new Map(), update: new Map() };
let shapeNodes = 0;
/**
 * The code has a few dozen kinds of effect, a few hundred nodes in all. Past this, something builds columns from
 * input: new nodes are then made for the one statement and not kept (correct, only slower).
 */
const MAX_SHAPE_NODES = 4096;

const child = (from: Map<string, ShapeNode>, name: string): ShapeNode => {
  let node = from.get(name);
  if (!node) {
    node = { next: new Map() };
    if (shapeNodes < MAX_SHAPE_NODES) {
      from.set(name, node);
      shapeNodes++;
    }
  }
  return node;
};
const walk = (node: ShapeNode, values: Record<string, Typed>): ShapeNode => {
  for (const c in values) node = child(child(node.next, c).next, values[c]!.type);
  return node;
};

const WON = 'x.__batch in (select __batch from h)';

function makeShape(effect: Effect): Shape {
  const typed = (from: 'row' | 'set' | 'match', values: Record<string, Typed>) => Object.entries(values).map(([name, t]) => ({ from, name, type: typeOf(t) }));
  if (effect.kind === 'insert') {
    const columns = typed('row', effect.row);
    const names = columns.map((c) => quote(c.name)).join(', ');
    return {
      columns,
      before: `insert into ${quote(effect.table)} (${names})
        select ${columns.map((c) => `x.${quote(c.name)}`).join(', ')} from (values `,
      after: `) as x(__batch, ${names}) where ${WON}`,
    };
  }
  const set = typed('set', effect.set);
  const match = typed('match', effect.match);
  return {
    columns: [...set, ...match],
    before: `update ${quote(effect.table)} t set ${set.map((c) => `${quote(c.name)} = x.${quote(c.name)}`).join(', ')}
      from (values `,
    after: `) as x(__batch, ${[...set.map((c) => quote(c.name)), ...match.map((c) => quote(`m_${c.name}`))].join(', ')})
      where ${match.map((c) => `t.${quote(c.name)} = x.${quote(`m_${c.name}`)}`).join(' and ')}${effect.also ? ` and ${effect.also}` : ''} and ${WON}`,
  };
}

function shapeOf(effect: Effect): Shape {
  let node = child(shapeTree[effect.kind], effect.table);
  if (effect.kind === 'insert') node = walk(node, effect.row);
  // NUL cannot be in an identifier or a type name, so the markers never meet a column's node.
  else node = child(child(walk(child(walk(node, effect.set).next, '\0match'), effect.match).next, '\0also').next, effect.also ?? '');
  return (node.shape ??= makeShape(effect));
}

/**
 * The moves; `passing`: the CTE of steps whose spends passed (then a step with spends moves only if listed).
 * `data`: each move's new data as JSON. It answers with the batch tags of the flows it moved, nothing more: a
 * moved flow is the flow as read with the move applied (movedFlow), so PostgreSQL need not print the rows nor
 * this thread parse them (about 3 % of a reset request's request-thread CPU).
 */
function headCte(q: Statement, steps: Step[], data: string[], now: Date, passing?: string): string {
  let rows = '';
  for (let i = 0; i < steps.length; i++) {
    const { move, spends } = steps[i]!;
    rows +=
      `${i === 0 ? '' : ', '}(${i}::int, ${q.param(move.from.id, 'text')}, ${q.param(move.from.state, 'text')}, ${q.param(move.from.version, 'int')}, ` +
      `${q.param(move.to.state, 'text')}, ${q.param(data[i], 'jsonb')}, ${q.param(move.to.userId !== undefined, 'boolean')}, ` +
      `${q.param(move.to.userId ?? null, 'uuid')}${passing ? (spends && spends.length > 0 ? ', true' : ', false') : ''})`;
  }
  const gate = passing ? ` and (not v.gated or v.__batch in (select __batch from ${passing}))` : '';
  const at = q.param(now, 'timestamptz');
  return `h as (
    update flows f set state = v.state, data = v.data, user_id = case when v.set_user then v.user_id else f.user_id end,
      version = f.version + 1, updated_at = ${at}
    from (values ${rows}) as v(__batch, id, from_state, from_version, state, data, set_user, user_id${passing ? ', gated' : ''})
    where f.id = v.id and f.state = v.from_state and f.version = v.from_version and f.expires_at > ${at}${gate}
    returning v.__batch)`;
}

/**
 * The row a won move leaves: what the statement set (state, the data it was given as `data`, the user when the
 * move sets one, version + 1 — the move matched the version read — and updated_at), the rest as read.
 */
const movedFlow = (move: FlowMove, data: string, now: Date): FlowRow => ({
  ...move.from,
  state: move.to.state,
  data: JSON.parse(data) as FlowRow['data'],
  user_id: move.to.userId !== undefined ? move.to.userId : move.from.user_id,
  version: move.from.version + 1,
  updated_at: now,
});

/** Effects of all steps grouped by shape: one statement part per table and column set. */
function effectCtes(q: Statement, steps: Step[]): string[] {
  const groups = new Map<Shape, string>();
  for (let step = 0; step < steps.length; step++) {
    for (const effect of steps[step]!.effects) {
      const shape = shapeOf(effect);
      let row = `(${step}::int`;
      for (const c of shape.columns) {
        // The shape was found by these very columns and types (shapeOf), so each is there.
        const t = c.from === 'row' ? (effect as Extract<Effect, { kind: 'insert' }>).row[c.name]! : (effect as Extract<Effect, { kind: 'update' }>)[c.from][c.name]!;
        row += `, ${q.param(t.value, c.type)}`;
      }
      const rows = groups.get(shape);
      groups.set(shape, rows === undefined ? `${row})` : `${rows}, ${row})`);
    }
  }
  const ctes: string[] = [];
  for (const [shape, rows] of groups) ctes.push(`e${ctes.length} as (${shape.before}${rows}${shape.after})`);
  return ctes;
}

type StepRow = { __batch: number; __counter_key?: null } | (CounterRow & { __batch: null; __counter_key: string });

/**
 * The whole step statement: the spends (if any step has some) and which steps they let through, the moves, then
 * every effect, answering with the moved flows and, after them, the counters spent (a full join on false
 * keeps each row's own columns and nulls the other's).
 */
export function stepStatement(steps: Step[], now: Date): { query: CompiledQuery<StepRow>; data: string[]; counters?: CounterSpends } {
  const q = new Statement();
  const data = steps.map((s) => JSON.stringify(s.move.to.data));
  const spending = steps.some((s) => s.spends && s.spends.length > 0);
  const counters = spending ? spendCountersSql(q, steps.map((s) => s.spends ?? []), now.getTime(), 'c') : undefined;
  const ctes = counters
    ? [...counters.ctes, passingSql(q, counters, 'c', 'g'), headCte(q, steps, data, now, 'g'), ...effectCtes(q, steps)]
    : [headCte(q, steps, data, now), ...effectCtes(q, steps)];
  const select = counters ? 'select * from h full join (select key as __counter_key, points, expire from c) cc on false' : 'select * from h';
  return { query: CompiledQuery.raw(`with ${ctes.join(', ')} ${select}`, q.parameters) as CompiledQuery<StepRow>, data, ...(counters ? { counters } : {}) };
}

async function runSteps(db: Db, steps: Step[]): Promise<StepOutcome[]> {
  // One move per flow per statement; a second step on the same flow (a racing request) goes in a second
  // statement, where its compare-and-set sees the first one's result and fails as it should.
  const first: Step[] = [];
  const later: number[] = [];
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    if (seen.has(step.move.from.id)) later.push(i);
    else {
      seen.add(step.move.from.id);
      first.push(step);
    }
  });
  const now = new Date();
  const { query, data, counters } = stepStatement(first, now);
  const { rows } = await db.executeQuery(query);
  const moved: Array<FlowRow | undefined> = first.map(() => undefined);
  const after: CounterRow[] = [];
  for (const row of rows) {
    if (row.__batch === null) after.push({ key: row.__counter_key, points: row.points, expire: row.expire });
    else moved[row.__batch] = movedFlow(first[row.__batch]!.move, data[row.__batch]!, now);
  }
  const spent = counters ? spentCounters(counters, after, now.getTime()) : first.map(() => []);
  const out: StepOutcome[] = [];
  let f = 0;
  for (let i = 0; i < steps.length; i++) if (!later.includes(i)) out[i] = { flow: moved[f], spent: spent[f++]! };
  for (const i of later) out[i] = (await runSteps(db, [steps[i]!]))[0]!;
  return out;
}

/**
 * How a step's commit waits:
 *  - `durable` (the default): until its WAL is on disk. Every step that changes an account, a session, a code's
 *    attempts or what a code may still do.
 *  - `async`: the commit returns before the WAL flush (PostgreSQL's synchronous_commit=off, on the store's
 *    async-commit pool). A crash of PostgreSQL may then lose the last fraction of a second of such steps, each
 *    whole: the step, its code, its mail and its audit rows are gone together, as if the request had not come.
 *    Only for steps whose loss costs the customer one more click and nothing else: sending a code (the move to
 *    code_sent, the code, the mail). A lost step's mail is never sent: the dispatcher's claim commits durably,
 *    and a durable commit flushes all WAL before it, so the step is on disk before its mail leaves. Measured
 *    (npm run bench, reset requests at 16 connections, 2 CPUs): the wait for the flush was about 1 ms of the
 *    step statement's 2.5-3.4 ms, and the requests per second rose 8-12 %.
 * Inside a transaction both are the transaction's own.
 */
export type Durability = 'durable' | 'async';

const stepsOf = (db: Db, durability: Durability) => {
  const [name, pool] = durability === 'async' ? ['flow-steps-async', asyncCommitDbOf] : ['flow-steps', keyedDbOf];
  return batcherFor(db, name, () => createBatcher<Step, StepOutcome>({ run: (steps) => runSteps(pool(db), steps), maxBatch: 32 }));
};

/**
 * Moves a flow (compare-and-set) and writes `effects` with it, in one statement coalesced with concurrent
 * steps. Resolves to the moved flow, or undefined when the flow was no longer as read (nothing was written).
 */
export async function moveFlowAndWrite(db: Db, move: FlowMove, effects: readonly Effect[], durability: Durability = 'durable'): Promise<FlowRow | undefined> {
  return (await stepsOf(db, durability)({ move, effects })).flow;
}

/**
 * moveFlowAndWrite, spending `spends` in the same statement: the flow moves only if they all stay within their
 * windows, and they are spent either way. Only where the counters are rows of this database.
 */
export function moveFlowSpending(db: Db, move: FlowMove, effects: readonly Effect[], spends: readonly CounterSpend[], durability: Durability = 'durable'): Promise<StepOutcome> {
  return stepsOf(db, durability)({ move, effects, spends });
}
