// Password policy (SECURITY.md "Completing a reset"): presets B2C Simple (8–64), B2C Strong (8–64, 3 of 4
// classes), NIST (min 15, max 64, no composition rules) and Custom. Every preset also rejects common passwords
// and context words, and reports why. Length is counted in code points after NFKC, never truncated.
import { NyckelError } from '../errors.ts';
import { isCommonPassword } from './blocklist.ts';
import { MAX_PASSWORD_BYTES, utf8Length } from './limits.ts';

export type PasswordPreset = 'simple' | 'strong' | 'nist' | 'custom';
export type CustomPolicy = { minLength: number; maxLength: number; minClasses: number };
export type PolicyResult = { ok: true } | { ok: false; code: string; params: Record<string, number | string> };

const PRESETS: Record<Exclude<PasswordPreset, 'custom'>, CustomPolicy> = {
  simple: { minLength: 8, maxLength: 64, minClasses: 0 },
  strong: { minLength: 8, maxLength: 64, minClasses: 3 },
  nist: { minLength: 15, maxLength: 64, minClasses: 0 }, // 800-63B single-factor; composition rules forbidden
};

// Context words need ≥ 4 code points; shorter ones ("bob", "ab") would match many passwords by coincidence.
const MIN_CONTEXT_WORD = 4;

function rules(preset: PasswordPreset, custom?: CustomPolicy): CustomPolicy {
  if (preset !== 'custom') return PRESETS[preset];
  const ok =
    custom !== undefined &&
    [custom.minLength, custom.maxLength, custom.minClasses].every(Number.isInteger) &&
    custom.minLength >= 1 && custom.maxLength >= custom.minLength && custom.maxLength <= MAX_PASSWORD_BYTES &&
    custom.minClasses >= 0 && custom.minClasses <= 4;
  // A broken tenant configuration is an operator error, not something the end user can fix.
  if (!ok) throw new NyckelError('password.policy_invalid', 500);
  return custom;
}

export function checkPassword(
  password: string,
  opts: { preset: PasswordPreset; custom?: CustomPolicy; context?: string[] },
): PolicyResult {
  const r = rules(opts.preset, opts.custom);
  // The hasher refuses more than 1,024 bytes; refuse it here first so an accepted password can always be hashed.
  if (utf8Length(password) > MAX_PASSWORD_BYTES) return fail('password.too_long', { max: r.maxLength });
  const text = password.normalize('NFKC');
  const length = [...text].length; // code points: an emoji is one, a UTF-16 surrogate pair is not two
  if (length < r.minLength) return fail('password.too_short', { min: r.minLength });
  if (length > r.maxLength) return fail('password.too_long', { max: r.maxLength });
  if (countClasses(text) < r.minClasses) return fail('password.too_simple', { classes: r.minClasses });
  if (isCommonPassword(text)) return fail('password.common', {});
  const lower = text.toLowerCase();
  if (contextWords(opts.context ?? []).some((w) => lower.includes(w))) return fail('password.contains_context', {});
  return { ok: true };
}

export function describePolicy(
  preset: PasswordPreset,
  custom?: CustomPolicy,
): { code: string; params: Record<string, number> } {
  const r = rules(preset, custom);
  return { code: `password.rules.${preset}`, params: { min: r.minLength, max: r.maxLength, classes: r.minClasses } };
}

function fail(code: string, params: Record<string, number | string>): PolicyResult {
  return { ok: false, code, params };
}

// The four B2C classes. Caseless letters (CJK, Arabic, …) count as lower-case letters so that non-Latin users
// can meet "3 of 4"; combining marks belong to their base letter and count as nothing.
function countClasses(text: string): number {
  const seen = new Set<string>();
  for (const ch of text) {
    if (/[\p{Lu}\p{Lt}]/u.test(ch)) seen.add('upper');
    else if (/\p{L}/u.test(ch)) seen.add('lower');
    else if (/\p{N}/u.test(ch)) seen.add('digit');
    else if (!/\p{M}/u.test(ch)) seen.add('symbol'); // punctuation, symbols and spaces (B2C counts a space)
  }
  return seen.size;
}

// Tenant name, username and the e-mail's local part (the domain is shared by many users, so not personal),
// whole and split at separators ("john.smith" → john, smith), compared after NFKC and lower-casing.
function contextWords(context: string[]): string[] {
  const words = new Set<string>();
  for (const raw of context) {
    let value = raw.normalize('NFKC').toLowerCase().trim();
    const at = value.lastIndexOf('@');
    if (at > 0) value = value.slice(0, at);
    for (const w of [value, ...value.split(/[^\p{L}\p{N}]+/u)]) if ([...w].length >= MIN_CONTEXT_WORD) words.add(w);
  }
  return [...words];
}
