// OIDC / OAuth 2.0 for apps (B2C-shaped). Registered from app.ts.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import type { CookiePolicy } from '../http/cookies.ts';

export async function registerOidc(_app: FastifyInstance, _s: Services, _opts: { cookies: CookiePolicy }): Promise<void> {}
