// Common-password blocklist (SECURITY.md "Completing a reset": all presets reject a blocklist of common
// passwords, ≥ 10,000 entries). Source: the ~49k "passwords-common" dictionary shipped by
// @zxcvbn-ts/language-common (MIT; compiled from leaked-password frequency lists). Loaded on first use only,
// so processes that never check a password (workers, CLI) do not pay ~15 ms and a few MB for it.
import { createRequire } from 'node:module';

type LanguageCommon = { dictionary: { 'passwords-common': string[] } };

let entries: Set<string> | undefined;

function load(): Set<string> {
  if (!entries) {
    const require = createRequire(import.meta.url);
    const { dictionary } = require('@zxcvbn-ts/language-common') as LanguageCommon;
    // Same normalisation as the lookup below, so matching is case-insensitive and NFKC-stable.
    entries = new Set(dictionary['passwords-common'].map(normalise));
  }
  return entries;
}

function normalise(pw: string): string {
  return pw.normalize('NFKC').toLowerCase(); // toLowerCase is locale-independent (unlike toLocaleLowerCase)
}

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i' };

/**
 * Exact match, or the password is a listed word dressed up the usual way: digits/symbols added at the ends
 * ("Password123!") or letters swapped for look-alike digits ("p@ssw0rd"). Like Entra's banned-password
 * normalisation, this catches the variants composition rules provoke. The core must be most of the password
 * so a long passphrase that merely contains a common word still passes.
 */
export function isCommonPassword(pw: string): boolean {
  const list = load();
  const text = normalise(pw);
  if (list.has(text)) return true;
  const core = text.replace(/^[\d\W_]+|[\d\W_]+$/gu, '');
  const candidates = [core, [...text].map((c) => LEET[c] ?? c).join(''), [...core].map((c) => LEET[c] ?? c).join('')];
  return candidates.some((c) => c.length >= 4 && c.length * 3 >= text.length * 2 && list.has(c));
}

export function blocklistSize(): number {
  return load().size;
}
