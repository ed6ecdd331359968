import { describe, expect, it } from 'vitest';
import { insertWhere, stepStatement, type Step } from './guarded-write.ts';

const hostile = `x'); drop table flows; --"`;

describe('stepStatement', () => {
  it('puts every value in a parameter, never in the SQL text', () => {
    const steps: Step[] = [0, 1].map((i) => ({
      move: { id: `${hostile}${i}`, from: { state: hostile, version: 1 }, to: { state: hostile, data: { note: hostile } } },
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

  it('refuses a type that is not a plain type name', () => {
    const step: Step = { move: { id: 'f', from: { state: 'a', version: 1 }, to: { state: 'b', data: {} } }, effects: [insertWhere('audit_events', { type: 'x' }, { type: 'text); drop table flows; --' })] };
    expect(() => stepStatement([step], new Date(0))).toThrow(/not a type name/);
  });
});
