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

export function isCommonPassword(pw: string): boolean {
  return load().has(normalise(pw));
}

export function blocklistSize(): number {
  return load().size;
}
