// Accounts and claims, B2C-shaped: `sub` = `oid` = the user's object id, `emails` (array), names, `ver` "1.0"
// and `tfp` (the policy). A user who is disabled, deleted, or whose password changed after the
// authentication behind a code or token gets nothing (the token endpoint answers invalid_grant).
import type { Account, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from './oidc-provider.ts';
import type { Services } from '../services.ts';
import { findUserById, listIdentities } from '../store/queries/users.ts';
import { acrOf, policyOf } from './request-context.ts';
import type { PolicyContext } from '../http/policy-context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Profile {
  oid: string;
  emails: string[];
  name?: string;
  given_name?: string;
  family_name?: string;
}

export interface NyckelAccount extends Account {
  profile: Profile;
}

interface TokenLike {
  kind?: string;
  acr?: string;
  authTime?: number;
  iat?: number;
}

async function loadProfile(s: Services, tenantId: string, userId: string) {
  const user = await findUserById(s.db, tenantId, userId);
  if (!user) return undefined;
  const identities = await listIdentities(s.db, user.id);
  const emails = [...new Set([...identities.filter((i) => i.sign_in_type === 'emailAddress').map((i) => i.issuer_assigned_id), ...(user.email ? [user.email] : [])])];
  const profile: Profile = {
    oid: user.id,
    emails,
    ...(user.display_name ? { name: user.display_name } : {}),
    ...(user.given_name ? { given_name: user.given_name } : {}),
    ...(user.surname ? { family_name: user.surname } : {}),
  };
  return { user, profile };
}

/** Claims common to ID tokens, access tokens and userinfo. */
export const b2cClaims = (policy: PolicyContext, profile: Profile) => ({ ver: '1.0', tfp: policy.userFlow.name, ...profile });

/** The value of the access token issued with this response, for the ID token's at_hash. */
const issuedValues = new WeakMap<object, string>();
export const recordIssuedValue = (token: object, value: string) => issuedValues.set(token, value);

export function findAccount(s: Services) {
  return async (ctx: KoaContextWithOIDC, sub: string, token?: TokenLike): Promise<NyckelAccount | undefined> => {
    const policy = policyOf(ctx);
    if (!policy || !UUID.test(sub)) return undefined;
    // B2C binds codes and refresh tokens to the policy that issued them (AADB2C90088).
    if (token?.acr && (token.kind === 'AuthorizationCode' || token.kind === 'RefreshToken') && token.acr !== acrOf(policy)) {
      throw new errors.InvalidGrant(`AADB2C90088: The provided grant has not been issued for this endpoint. Actual Value : ${token.acr} and Expected Value : ${acrOf(policy)}`);
    }
    const loaded = await loadProfile(s, policy.tenant.id, sub);
    if (!loaded || !loaded.user.account_enabled) return undefined;
    // Compared in whole seconds: a sign-in in the same second as the password change is the new one.
    const authenticatedAt = token ? (token.authTime ?? token.iat) : undefined;
    if (authenticatedAt !== undefined && authenticatedAt < Math.floor(loaded.user.sessions_valid_after.getTime() / 1000)) return undefined;
    const { profile } = loaded;
    return {
      accountId: sub,
      profile,
      claims: async (use) => {
        const accessToken = use === 'id_token' ? ctx.oidc.entities.AccessToken : undefined;
        const atHash = accessToken ? issuedValues.get(accessToken) : undefined;
        return { sub, ...b2cClaims(policy, profile), ...(atHash ? { at_hash: atHash } : {}) };
      },
    };
  };
}

/** Claims of JWT access tokens (issued when an app asks for its own client id as a scope, as in B2C). */
export async function extraTokenClaims(ctx: KoaContextWithOIDC, token: { resourceServer?: unknown; clientId?: string }) {
  const policy = policyOf(ctx);
  const account = ctx.oidc.entities.Account as NyckelAccount | undefined;
  if (!token.resourceServer || !policy || !account?.profile) return undefined;
  const source = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken) as { authTime?: number; nonce?: string } | undefined;
  return {
    ...b2cClaims(policy, account.profile),
    azp: token.clientId,
    ...(source?.authTime ? { auth_time: source.authTime } : {}),
    ...(source?.nonce ? { nonce: source.nonce } : {}),
  };
}
