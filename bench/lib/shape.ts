// What the benchmark talks to: the demo tenant's sign-in user flow, and the seeded addresses.
export const TENANT = 'contoso';
export const POLICY = 'B2C_1_signin';
export const SIGNIN_PATH = `/${TENANT}/${POLICY}/signin`;
export const RESET_PATH = `/${TENANT}/${POLICY}/password-reset`;

/** Every seeded user has this password (one precomputed argon2id hash shared by all rows). */
export const PASSWORD = 'Bench-Passw0rd!2025';

/**
 * existing: a seeded account; unknown: no account. Same length and shape, so nothing but existence differs.
 * `warm` addresses (warm-up only) are neither and never reused by a measured run.
 */
export type AddressKind = 'existing' | 'unknown' | 'warm';
const PREFIX: Record<AddressKind, string> = { existing: 'user', unknown: 'none', warm: 'warm' };

export const addressOf = (kind: AddressKind, i: number) => `${PREFIX[kind]}-${String(i).padStart(7, '0')}@bench.example`;
