// Cookie names and attributes. On https the `__Host-` prefix pins a cookie to this host, path / and Secure.
import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomToken } from '../security/secrets.ts';

export interface CookiePolicy {
  secure: boolean;
}

const name = (policy: CookiePolicy, base: string) => (policy.secure ? `__Host-${base}` : base);

export const csrfCookieName = (policy: CookiePolicy) => name(policy, 'nyckel-csrf');
export const sessionCookieName = (policy: CookiePolicy, tenantId: string) => name(policy, `nyckel-session-${tenantId}`);

const attributes = (policy: CookiePolicy, maxAge?: number) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure: policy.secure, ...(maxAge !== undefined ? { maxAge } : {}) });

export function readCookie(req: FastifyRequest, cookie: string): string | undefined {
  const value = req.cookies[cookie];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
}

/** The browser's CSRF token (long-lived, random); created on first need. Flows are bound to it. */
export function ensureBrowserToken(req: FastifyRequest, reply: FastifyReply, policy: CookiePolicy): string {
  const existing = readCookie(req, csrfCookieName(policy));
  if (existing && /^[A-Za-z0-9_-]{22,64}$/.test(existing)) return existing;
  const token = randomToken(32);
  reply.setCookie(csrfCookieName(policy), token, attributes(policy, 60 * 60 * 24 * 30));
  return token;
}

export function setSessionCookie(reply: FastifyReply, policy: CookiePolicy, tenantId: string, token: string, maxAge: number): void {
  reply.setCookie(sessionCookieName(policy, tenantId), token, attributes(policy, maxAge));
}

export function clearSessionCookie(reply: FastifyReply, policy: CookiePolicy, tenantId: string): void {
  reply.clearCookie(sessionCookieName(policy, tenantId), attributes(policy));
}
