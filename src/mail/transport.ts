// The one interface every delivery channel implements (SMTP, dev inbox, test doubles).
import type { CodeSlots } from './templates.ts';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** A code mail's bodies as the parts around its code (templates.ts): a transport may reuse their encoding. */
  code?: CodeSlots;
}

export interface MailTransport {
  /** Resolves once the message is handed over; rejects to make the dispatcher retry. */
  send(msg: OutgoingMail): Promise<void>;
}

// One plain address, nothing else: no CR/LF (header injection), no commas, semicolons or angle brackets
// (a second recipient or a display name smuggled in), no whitespace. Callers pass canonicalised addresses,
// so anything this refuses is a bug or an attack, never a customer's real address.
const SAFE_ADDRESS = /^[^\s@<>,;:"()[\]\\]{1,64}@[^\s@<>,;:"()[\]\\]{1,255}$/u;

export function isSafeRecipient(address: string): boolean {
  return address.length <= 320 && !/[\p{Cc}\p{Cf}\u2028\u2029]/u.test(address) && SAFE_ADDRESS.test(address);
}

export function assertSafeRecipient(address: string): void {
  if (!isSafeRecipient(address)) throw new Error('mail recipient is not a single plain address');
}
