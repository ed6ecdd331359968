// B2C-shaped protocol errors. The `error` stays the standard OAuth code; `error_description` starts with the
// AADB2C code B2C uses for the same problem, because B2C apps (and MSAL) look for those codes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { negotiateLocale } from '../i18n/negotiate.ts';
import { translate } from '../i18n/translate.ts';
import { html } from '../ui/html.ts';
import { page } from '../ui/layout.ts';

type Rule = [RegExp, (m: RegExpExecArray, p: Record<string, unknown>) => string];

// Request values echoed in descriptions, as B2C does; bounded and without control characters.
const str = (v: unknown) => (typeof v === 'string' ? v.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200) : '');

const RULES: Rule[] = [
  [/redirect_uri did not match any of the client's registered redirect_uris/, (_m, p) => `AADB2C90006: The redirect URI '${str(p.redirect_uri)}' provided in the request is not registered for the client ID '${str(p.client_id)}'.`],
  [/missing required parameter 'client_id'/, () => 'AADB2C90008: The request does not contain a client ID parameter.'],
  [/missing required parameter 'scope'/, () => 'AADB2C90010: The request does not contain a scope parameter.'],
  [/missing required parameter '([a-z_]+)'/, (m) => `AADB2C90083: The request is missing required parameter: ${m[1] ?? ''}.`],
  [/unsupported response_type|response_type not supported/, (_m, p) => `AADB2C90013: The requested response type '${str(p.response_type)}' provided in the request is not supported.`],
  [/unsupported response_mode/, (_m, p) => `AADB2C90014: The requested response mode '${str(p.response_mode)}' provided in the request is not supported.`],
  [/client is invalid|client not found/, (_m, p) => `AADB2C90018: The client ID '${str(p.client_id)}' specified in the request is not registered in this tenant.`],
  [/invalid secret provided/, () => 'AADB2C90081: The specified client_secret does not match the expected value for this client. Please correct the client_secret and try again.'],
  [/unsupported grant_type|grant_type.* not supported/, (_m, p) => `AADB2C90086: The supplied grant_type [${str(p.grant_type)}] is not supported.`],
  [/refresh token is expired|authorization code is expired|grant is expired/, () => 'AADB2C90080: The provided grant has expired. Please re-authenticate and try again.'],
  [/(refresh token|authorization code|grant) not found|already (used|consumed)/, () => 'AADB2C90129: The provided grant has been revoked. Please reauthenticate and try again.'],
  [/referenced account not found/, () => 'AADB2C90128: The account associated with this grant no longer exists. Please reauthenticate and try again.'],
  [/PKCE|code_challenge|code_verifier/, () => 'AADB2C99059: The supplied request must present a valid code_challenge and code_verifier (S256).'],
  [/prompt/, () => "AADB2C90043: The prompt included in the request contains invalid values. Expected 'none', 'login', 'consent' or 'select_account'."],
];

/**
 * Prefixes a provider error description with B2C's code for the same problem (once). The provider's internal
 * detail (e.g. why client authentication failed) picks the code but is never shown itself.
 */
export function b2cDescription(description: string, params: Record<string, unknown> = {}, detail?: string): string {
  if (/^AADB2C\d+:/.test(description)) return description;
  // Nyckel's own checks (claims.ts, provider-config.ts) put B2C's full text in the detail.
  if (detail && /^AADB2C\d+:/.test(detail)) return detail;
  for (const text of [detail, description]) {
    if (!text) continue;
    for (const [pattern, describe] of RULES) {
      const m = pattern.exec(text);
      if (m) return describe(m, params);
    }
  }
  return description;
}

const details = new WeakMap<object, string>();

/** Remembers the internal detail of a provider error for the response rewrite below (error events). */
export function rememberErrorDetail(ctx: object, err: unknown): void {
  const detail = (err as { error_detail?: unknown } | undefined)?.error_detail;
  if (typeof detail === 'string') details.set(ctx, detail);
}

const paramsOf = (ctx: KoaContextWithOIDC): Record<string, unknown> => ({ ...(ctx.oidc?.params ?? {}) });

/** Koa middleware for a tenant's provider: rewrites error descriptions in JSON bodies and error redirects. */
export async function b2cErrorDescriptions(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  const body = ctx.body as { error?: unknown; error_description?: unknown } | undefined;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body) && typeof body.error === 'string' && typeof body.error_description === 'string') {
    body.error_description = b2cDescription(body.error_description, paramsOf(ctx), details.get(ctx));
  }
  const location = ctx.status >= 300 && ctx.status < 400 ? ctx.response.get('location') : '';
  const url = location ? URL.parse(location) : null;
  const description = url?.searchParams.get('error_description');
  if (url && description && url.searchParams.has('error')) {
    url.searchParams.set('error_description', b2cDescription(description, paramsOf(ctx), details.get(ctx)));
    ctx.response.set('location', url.href);
  }
}

/** Unknown tenant or policy: B2C answers with AADB2C90022 rather than a generic 404 page. */
export function sendPolicyNotFound(req: FastifyRequest, reply: FastifyReply, tenant: string, policy: string | undefined) {
  // Echo only what could be a name: never control characters or markup from the request.
  const clean = (v: string | undefined) => (v ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 100);
  const description = `AADB2C90022: Unable to return metadata for the policy '${clean(policy)}' in tenant '${clean(tenant)}'.`;
  return sendProtocolError(req, reply, 404, 'invalid_request', description);
}

/** A protocol error before the provider runs: JSON for API clients, a short page for browsers. */
export function sendProtocolError(req: FastifyRequest, reply: FastifyReply, status: number, error: string, description: string) {
  reply.header('Cache-Control', 'no-store');
  const accept = req.headers.accept ?? '';
  if (req.method === 'GET' && accept.includes('text/html') && !accept.includes('application/json')) {
    return reply.status(status).type('text/html; charset=utf-8').send(errorPageHtml(req.headers['accept-language'], error, description));
  }
  return reply.status(status).type('application/json').send({ error, error_description: description });
}

/** The error page browsers see when the error cannot go back to the app (e.g. an unregistered redirect URI). */
export function errorPageHtml(acceptLanguage: string | undefined, error: string, description: string): string {
  const locale = negotiateLocale({ acceptLanguage });
  // The description is B2C's technical text (untranslated, as in B2C); the frame speaks the user's language.
  const body = html`<h1>${translate(locale, 'error.title')}</h1>
<p class="msg msg-error" role="alert" data-error="${error}">${description}</p>`;
  return page({ locale, title: translate(locale, 'error.title'), body });
}
