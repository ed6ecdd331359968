// Shared input limits for passwords (SECURITY.md "Completing a reset": inputs capped, e.g. 1,024 bytes, before
// hashing). Kept apart so the policy can refuse what the hasher would refuse without loading argon2.

/** Largest password accepted anywhere, in UTF-8 bytes. Bounds hashing work per request. */
export const MAX_PASSWORD_BYTES = 1024;

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
