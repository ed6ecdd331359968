// Per-tenant RS256 signing keys. Private keys are stored encrypted (AES-256-GCM under a key derived from the
// server secret, bound to tenant and kid as associated data), so a database dump alone cannot mint tokens.
// Rotation retires the signing key but keeps publishing it until every token it signed has expired.
import { createCipheriv, createDecipheriv, generateKeyPair, randomBytes, createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { JsonWebKey } from 'node:crypto';
import type { Db } from '../store/database.ts';
import type { Keys } from '../security/secrets.ts';
import { insertActiveKey, listPublishedKeys, retireActiveKey } from '../store/queries/signing-keys.ts';

/** Longest lifetime an ID or access token can be given (B2C allows 5–1440 minutes). */
export const MAX_TOKEN_SECONDS = 24 * 60 * 60;

type Jwk = Record<string, string>;

function encrypt(keys: Keys, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.key('signing-keys'), iv).setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function decrypt(keys: Keys, sealed: string, aad: string): string {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', keys.key('signing-keys'), raw.subarray(0, 12)).setAAD(Buffer.from(aad));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

const strings = (jwk: JsonWebKey): Jwk => Object.fromEntries(Object.entries(jwk).filter(([, v]) => typeof v === 'string')) as Jwk;

const generateRsa = promisify(generateKeyPair);

async function newKeyPair(): Promise<{ kid: string; publicJwk: Jwk; privateJwk: Jwk }> {
  // Generated off the event loop: an RSA key takes tens of milliseconds.
  const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const pub = strings(publicKey.export({ format: 'jwk' }));
  // RFC 7638 thumbprint: a stable kid that says nothing but which key it is.
  const kid = createHash('sha256').update(JSON.stringify({ e: pub.e, kty: pub.kty, n: pub.n })).digest('base64url');
  const meta = { kid, alg: 'RS256', use: 'sig' };
  return { kid, publicJwk: { ...pub, ...meta }, privateJwk: { ...strings(privateKey.export({ format: 'jwk' })), ...meta } };
}

async function insertNewKey(db: Db, keys: Keys, tenantId: string): Promise<string> {
  const pair = await newKeyPair();
  await insertActiveKey(db, { kid: pair.kid, tenant_id: tenantId, public_jwk: pair.publicJwk, private_jwk: encrypt(keys, JSON.stringify(pair.privateJwk), `${tenantId}|${pair.kid}`) });
  return pair.kid;
}

/**
 * The private JWKS for the tenant's provider: the signing key first; retired keys follow marked verify-only,
 * so oidc-provider publishes them in the JWKS but never signs with them. Creates the first key on demand.
 */
export async function loadSigningKeys(db: Db, keys: Keys, tenantId: string): Promise<Jwk[]> {
  let rows = await listPublishedKeys(db, tenantId);
  if (!rows.some((r) => r.retired_at === null)) {
    await insertNewKey(db, keys, tenantId);
    rows = await listPublishedKeys(db, tenantId);
  }
  return rows.map((row) => {
    const jwk = JSON.parse(decrypt(keys, row.private_jwk, `${tenantId}|${row.kid}`)) as Jwk;
    return row.retired_at === null ? jwk : ({ ...jwk, key_ops: ['verify'] } as unknown as Jwk);
  });
}

/**
 * Retires the signing key and creates a new one. The old key stays published for the longest token lifetime
 * plus a margin for other processes, whose cached providers may sign with it until they reload (≤ 1 minute).
 */
export async function rotateSigningKey(db: Db, keys: Keys, tenantId: string): Promise<{ kid: string; retired?: string }> {
  return db.transaction().execute(async (tx) => {
    const retired = await retireActiveKey(tx, tenantId, new Date(Date.now() + (MAX_TOKEN_SECONDS + 600) * 1000));
    const kid = await insertNewKey(tx, keys, tenantId);
    return { kid, ...(retired ? { retired: retired.kid } : {}) };
  });
}
