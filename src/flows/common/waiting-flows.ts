// Flows this process created that still wait for their first step ("Send verification code"), kept in memory so
// that step can start without reading its flow: its limits, its compare-and-set move and its writes are then
// ONE statement (flow-routes.ts, send-code.ts), where a reset request was two (spend and read, then the step).
//
// An entry is only a starting point, never the truth: the step's move is a compare-and-set on the state and
// version read here, so if anything else moved the flow meanwhile (another process, a racing request) the move
// matches nothing, nothing is written but the spends, and the step starts again from a fresh read. What a
// submission is checked against before the step (tenant, kind, CSRF binding) never changes after creation;
// the expiry is checked here and again by the move.
//
// Entries leave when taken (a flow's first submission), and the oldest leave first once `max` are held, so the
// memory is bounded (about a kilobyte an entry, 20 MB at the default): a flow whose entry is gone just takes the
// two-statement way.
import type { FlowRow } from '../../store/queries/flows.ts';

export interface WaitingFlows {
  put(flow: FlowRow): void;
  /** The flow as this process created it, removed from memory; undefined if not held or expired. */
  take(id: string): FlowRow | undefined;
  readonly size: number;
}

export function createWaitingFlows(max = 20_000): WaitingFlows {
  const flows = new Map<string, FlowRow>();
  return {
    put(flow) {
      flows.delete(flow.id);
      flows.set(flow.id, flow);
      if (flows.size > max) flows.delete(flows.keys().next().value!);
    },
    take(id) {
      const flow = flows.get(id);
      if (!flow) return undefined;
      flows.delete(id);
      return flow.expires_at.getTime() > Date.now() ? flow : undefined;
    },
    get size() {
      return flows.size;
    },
  };
}
