import { describe, expect, it } from 'vitest';
import { insertWhere, stepStatement, type Step } from './guarded-write.ts';
import type { FlowRow } from './queries/flows.ts';

/** A flow as read, as far as a move's statement uses it. */
const read = (id: string, state: string, version: number) => ({ id, state, version }) as FlowRow;

const hostile = `x'); drop table flows; --"`;

describe('stepStatement', () => {
  it('puts every value in a parameter, never in the SQL text', () => {
    const steps: Step[] = [0, 1].map((i) => ({
      move: { from: read(`${hostile}${i}`, hostile, 1), to: { state: hostile, data: { note: hostile } } },
      effects: [
        insertWhere('audit_events', { type: hostile, details: JSON.stringify({ hostile }) }, { details: 'jsonb' }),
        { kind: 'update', table: 'verification_codes', set: { superseded_at: { value: new Date(0), type: 'timestamptz' } }, match: { flow_id: { value: hostile, type: 'text' } }, also: 't.superseded_at is null' },
      ],
    }));
    const q = stepStatement(steps, new Date(0)).query;
    expect(q.sql).not.toContain('drop table');
    expect(q.sql).not.toContain('hostile');
    expect(q.parameters).toContain(hostile);
    // Two steps share one insert and one update, each row tagged with its step.
    expect(q.sql.match(/insert into "audit_events"/g)).toHaveLength(1);
    expect(q.sql.match(/update "verification_codes"/g)).toHaveLength(1);
    expect(q.sql).toContain('(0::int, ');
    expect(q.sql).toContain('(1::int, ');
    // Placeholders are numbered in order and each used value is there.
    const used = [...q.sql.matchAll(/\$(\d+)::/g)].map((m) => Number(m[1]));
    expect(Math.max(...used)).toBe(q.parameters.length);
  });

  it('groups effects by table, columns and types, each row with its own values in its columns', () => {
    const move = (i: number) => ({ from: read(`f${i}`, 'a', 1), to: { state: 'b', data: {} } });
    const steps: Step[] = [
      { move: move(0), effects: [insertWhere('audit_events', { type: 'first', result: 'r0' })] },
      // Same table, same columns in another order, and another column set: parts of their own.
      { move: move(1), effects: [insertWhere('audit_events', { result: 'r1', type: 'second' }), insertWhere('audit_events', { type: 'third' })] },
      { move: move(2), effects: [insertWhere('audit_events', { type: 'fourth', result: 'r2' }), insertWhere('audit_events', { type: 'fifth', result: 'r3' }, { result: 'uuid' })] },
    ];
    for (let round = 0; round < 2; round++) {
      // The second round finds every shape kept from the first and must write the same statement.
      const q = stepStatement(steps, new Date(0)).query;
      expect(q.sql.match(/insert into "audit_events"/g)).toHaveLength(4);
      const param = (value: string) => `$${q.parameters.indexOf(value) + 1}::`;
      const part = (i: number) => q.sql.slice(q.sql.indexOf(`e${i} as (`), q.sql.indexOf(`e${i + 1} as (`) >= 0 ? q.sql.indexOf(`e${i + 1} as (`) : undefined);
      // (type, result): steps 0 and 2 share a part, each row tagged with its step.
      expect(part(0)).toContain('("type", "result")');
      expect(part(0)).toContain(`(0::int, ${param('first')}text, ${param('r0')}text)`);
      expect(part(0)).toContain(`(2::int, ${param('fourth')}text, ${param('r2')}text)`);
      expect(part(1)).toContain('("result", "type")');
      expect(part(1)).toContain(`(1::int, ${param('r1')}text, ${param('second')}text)`);
      expect(part(2)).toContain(`(1::int, ${param('third')}text)`);
      expect(part(3)).toContain(`(2::int, ${param('fifth')}text, ${param('r3')}uuid)`);
    }
  });

  it('refuses a type that is not a plain type name', () => {
    const step: Step = { move: { from: read('f', 'a', 1), to: { state: 'b', data: {} } }, effects: [insertWhere('audit_events', { type: 'x' }, { type: 'text); drop table flows; --' })] };
    expect(() => stepStatement([step], new Date(0))).toThrow(/not a type name/);
  });

  it('spends counters before the moves and lets only steps whose spends pass move, every key a parameter', () => {
    const window = { name: 'w', points: 2, durationSeconds: 60 };
    const steps: Step[] = [0, 1, 2].map((i) => ({
      move: { from: read(`f${i}`, 'identify', 1), to: { state: 'code_sent', data: {} } },
      effects: [insertWhere('audit_events', { type: 'x' })],
      ...(i < 2 ? { spends: [{ window, key: `${hostile}-shared`, points: 1 }] } : {}),
    }));
    const { query, counters } = stepStatement(steps, new Date(0));
    expect(query.sql).not.toContain('hostile');
    expect(query.parameters).toContain(`${hostile}-shared`);
    // One upsert for the shared counter (its points added up), before the gate and the moves.
    expect(query.sql.match(/insert into rate_limits/g)).toHaveLength(1);
    expect(query.sql.indexOf('insert into rate_limits')).toBeLessThan(query.sql.indexOf('update flows'));
    expect(query.sql).toMatch(/not v\.gated or v\.__batch in \(select __batch from g\)/);
    // The first spend sees one point less than the batch's total, the second the total; the third step spends nothing.
    expect(counters?.offsets.map((items) => items.map((i) => i.offset))).toEqual([[-1], [0], []]);
  });
});
