// When an authorization request needs the user, and what an app gets without asking.
// - Nyckel's browser session is the truth about who is signed in: the provider's own session counts only while
//   the Nyckel session of the same user is live and was made for the same policy (a password change, sign-out
//   or disabled account therefore always leads back to the hosted pages).
// - A password reset policy always shows its page (a reset is never skipped by single sign-on).
// - B2C has no consent screen: a first-party app is granted the scopes it requests, and prompt=consent or
//   prompt=select_account need no page either.
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { interactionPolicy } from './oidc-provider.ts';
import type { Services } from '../services.ts';
import { sessionCookieName, type CookiePolicy } from '../http/cookies.ts';
import { policyPath } from '../http/policy-context.ts';
import { readSession } from '../sessions/sessions.ts';
import { acrOf, policyOf } from './request-context.ts';

const { Check } = interactionPolicy;

export function nyckelPolicy(s: Services, cookies: CookiePolicy) {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  login?.checks.add(
    new Check('nyckel_session', 'End-User authentication is required', async (ctx) => {
      const { oidc } = ctx;
      if (oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
      const current = policyOf(ctx);
      const accountId = oidc.session?.accountId;
      if (!current || current.userFlow.type === 'passwordReset') return Check.REQUEST_PROMPT;
      if (!accountId || oidc.session?.acr !== acrOf(current) || !oidc.account) return Check.REQUEST_PROMPT;
      const token = ctx.cookies.get(sessionCookieName(cookies, current.tenant.id), { signed: false });
      const session = await readSession(s, current.tenant.id, token);
      return session?.user_id === accountId ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
    0,
  );
  // MSAL sends prompt=select_account; B2C accepts it and, having one account per session, just continues.
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }));
  return policy;
}

/** Interactions are served under the policy's hosted pages, so the interaction cookie reaches them. */
export async function interactionUrl(ctx: KoaContextWithOIDC, interaction: { uid: string }): Promise<string> {
  const current = policyOf(ctx);
  if (!current) throw new Error('interaction outside a policy route');
  return policyPath(current, `interaction/${interaction.uid}`);
}

/** The user's grant for this app, extended with whatever the request asks for (no consent screen in B2C). */
export async function loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const accountId = oidc.account?.accountId;
  if (!accountId || !oidc.client) return undefined;
  const clientId = oidc.client.clientId;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (grant && (grant.accountId !== accountId || grant.clientId !== clientId)) grant = undefined;
  grant ??= new oidc.provider.Grant({ accountId, clientId });
  const scopes = [...oidc.requestParamOIDCScopes].join(' ');
  if (scopes) grant.addOIDCScope(scopes);
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const granted = [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope));
    if (granted.length) grant.addResourceScope(indicator, granted.join(' '));
  }
  await grant.save();
  return grant;
}
