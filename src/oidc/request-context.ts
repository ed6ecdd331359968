// Which tenant and user flow (policy) an OIDC request is for. B2C routes resolve it before handing the raw
// request to the tenant's provider; provider hooks (claims, lifetimes, interaction URL) read it back here.
import type { IncomingMessage } from 'node:http';
import type { PolicyContext } from '../http/policy-context.ts';
import type { UserFlowSettings } from '../store/database.ts';

const contexts = new WeakMap<IncomingMessage, PolicyContext>();

export function bindPolicy(req: IncomingMessage, ctx: PolicyContext): void {
  contexts.set(req, ctx);
}

/** The policy of a provider (Koa) context, or undefined outside a B2C route. */
export function policyOf(ctx: { req?: IncomingMessage } | undefined): PolicyContext | undefined {
  return ctx?.req ? contexts.get(ctx.req) : undefined;
}

/** The `acr` recorded on sessions, codes and refresh tokens: which policy authenticated the user. */
export const acrOf = (ctx: PolicyContext) => ctx.userFlow.canonical_name;

export interface Lifetimes {
  idToken: number;
  accessToken: number;
  refreshToken: number;
  refreshWindow: number;
}

/** Token lifetimes in seconds; B2C's defaults are 60 min, 60 min, 14 days and a 90-day sliding window. */
export function lifetimes(settings: UserFlowSettings | undefined): Lifetimes {
  const t = settings?.tokenLifetimes ?? {};
  return {
    idToken: (t.idTokenMinutes ?? 60) * 60,
    accessToken: (t.accessTokenMinutes ?? 60) * 60,
    refreshToken: (t.refreshTokenDays ?? 14) * 86_400,
    refreshWindow: (t.refreshWindowDays ?? 90) * 86_400,
  };
}
