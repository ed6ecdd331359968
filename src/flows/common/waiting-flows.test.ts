import { describe, expect, it } from 'vitest';
import { createWaitingFlows } from './waiting-flows.ts';
import type { FlowRow } from '../../store/queries/flows.ts';

const flow = (id: string, expiresInMs = 60_000): FlowRow => ({
  id,
  tenant_id: '00000000-0000-0000-0000-000000000001',
  kind: 'password_reset',
  state: 'identify',
  csrf_hash: 'h',
  browser: false,
  data: {},
  user_id: null,
  version: 1,
  expires_at: new Date(Date.now() + expiresInMs),
  created_at: new Date(),
  updated_at: new Date(),
});

describe('waiting flows', () => {
  it('hands a flow out once: taking it removes it', () => {
    const w = createWaitingFlows();
    w.put(flow('a'));
    expect(w.take('a')?.id).toBe('a');
    expect(w.take('a')).toBeUndefined();
    expect(w.size).toBe(0);
  });

  it('never hands out an expired flow, and drops it', () => {
    const w = createWaitingFlows();
    w.put(flow('old', -1));
    expect(w.take('old')).toBeUndefined();
    expect(w.size).toBe(0);
  });

  it('holds at most `max` flows, dropping the oldest first', () => {
    const w = createWaitingFlows(3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) w.put(flow(id));
    expect(w.size).toBe(3);
    expect(w.take('a')).toBeUndefined();
    expect(w.take('b')).toBeUndefined();
    expect(['c', 'd', 'e'].map((id) => w.take(id)?.id)).toEqual(['c', 'd', 'e']);
  });
});
