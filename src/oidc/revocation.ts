// SECURITY.md "Completing a reset": after a password change the user's grants, refresh and access tokens,
// codes and provider sessions are gone, inside the same transaction as the change, so the token endpoint
// rejects every refresh token issued before it.
import type { Db } from '../store/database.ts';
import { revokeAccount } from '../store/queries/oidc-models.ts';

const REVOKED = ['Grant', 'RefreshToken', 'AccessToken', 'AuthorizationCode', 'Session'] as const;

export async function revokeAfterPasswordChange(tx: Db, userId: string, tenantId: string): Promise<void> {
  await revokeAccount(tx, tenantId, userId, REVOKED);
}
