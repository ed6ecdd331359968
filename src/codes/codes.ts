// One-time verification codes. SECURITY.md "Codes": 6 digits from a CSPRNG, stored only as an HMAC keyed by a
// server secret and bound to (flow, address), compared in constant time, short-lived, single use, a new code
// supersedes the old, attempts counted atomically before comparing.
import { randomInt } from 'node:crypto';
import type { Db } from '../store/database.ts';
import { consumeCode, findLiveCode, insertCodeEffects, spendAttempt } from '../store/queries/verification-codes.ts';
import type { Effect } from '../store/guarded-write.ts';
import { safeEqual, type Keys } from '../security/secrets.ts';

export const CODE_LENGTH = 6;

export function generateCode(): string {
  return randomInt(0, 10 ** CODE_LENGTH).toString().padStart(CODE_LENGTH, '0');
}

const codeHmac = (keys: Keys, flowId: string, address: string, code: string) => keys.hmac('codes', flowId, address, code);

export interface NewCode {
  tenantId: string;
  flowId: string;
  purpose: string;
  address: string;
  ttlSeconds: number;
  maxAttempts: number;
}

function codeRow(keys: Keys, input: NewCode, code: string) {
  return {
    id: crypto.randomUUID(),
    tenant_id: input.tenantId,
    flow_id: input.flowId,
    purpose: input.purpose,
    address: input.address,
    code_hmac: codeHmac(keys, input.flowId, input.address, code),
    max_attempts: input.maxAttempts,
    expires_at: new Date(Date.now() + input.ttlSeconds * 1000),
  };
}

/**
 * A new code as effects of a guarded write (store/guarded-write.ts), for steps that write the code, its mail
 * and the flow's move in one statement. Returns the plain code for the mail.
 */
export function prepareCode(keys: Keys, input: NewCode): { code: string; effects: Effect[] } {
  const code = generateCode();
  return { code, effects: insertCodeEffects(codeRow(keys, input, code)) };
}

export type VerifyResult =
  | { status: 'ok'; address: string }
  | { status: 'incorrect'; attemptsLeft: number }
  | { status: 'too_many_attempts' }
  | { status: 'expired' }
  | { status: 'no_code' };

export async function verifyCode(db: Db, keys: Keys, flowId: string, typed: string): Promise<VerifyResult> {
  const spent = await spendAttempt(db, flowId);
  if (!spent) {
    const live = await findLiveCode(db, flowId);
    if (!live) return { status: 'no_code' };
    if (live.attempts >= live.max_attempts) return { status: 'too_many_attempts' };
    return { status: 'expired' };
  }
  const expected = codeHmac(keys, flowId, spent.address, typed);
  if (!safeEqual(expected, spent.code_hmac)) {
    const left = spent.max_attempts - spent.attempts;
    return left > 0 ? { status: 'incorrect', attemptsLeft: left } : { status: 'too_many_attempts' };
  }
  // Exactly one of several parallel correct submissions consumes the code.
  const consumed = await consumeCode(db, spent.id);
  return consumed ? { status: 'ok', address: spent.address } : { status: 'no_code' };
}
