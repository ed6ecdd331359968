// The few pages oidc-provider renders itself, in Nyckel's frame: protocol errors that cannot go back to the
// app, the sign-out step and the signed-out page.
import { createHash } from 'node:crypto';
import type { KoaContextWithOIDC, ErrorOut } from 'oidc-provider';
import { negotiateLocale } from '../i18n/negotiate.ts';
import { translate } from '../i18n/translate.ts';
import { html, Html } from '../ui/html.ts';
import { page } from '../ui/layout.ts';
import { b2cDescription, errorPageHtml } from './b2c-errors.ts';

/** Provider responses may run oidc-provider's own inline scripts (form_post), each allowed by its hash. */
export const PROVIDER_CSP = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: https:", "frame-ancestors 'none'", "base-uri 'none'"].join('; ');

const localeOf = (ctx: KoaContextWithOIDC) => negotiateLocale({ uiLocales: typeof ctx.oidc?.params?.ui_locales === 'string' ? ctx.oidc.params.ui_locales : undefined, acceptLanguage: ctx.get('accept-language') });

export async function renderError(ctx: KoaContextWithOIDC, out: ErrorOut, error: unknown): Promise<void> {
  const detail = (error as { error_detail?: unknown } | undefined)?.error_detail;
  ctx.type = 'html';
  ctx.body = errorPageHtml(ctx.get('accept-language'), out.error, b2cDescription(out.error_description ?? out.error, { ...(ctx.oidc?.params ?? {}) }, typeof detail === 'string' ? detail : undefined));
}

/**
 * B2C signs out at once when an app sends the browser to its logout endpoint. oidc-provider guards the
 * sign-out with a POST carrying a per-session secret (against cross-site sign-out), so this page posts it
 * by itself; without JavaScript the user presses the button.
 */
export async function logoutSource(ctx: KoaContextWithOIDC): Promise<void> {
  const locale = localeOf(ctx);
  const script = "document.getElementById('nyckel-logout').submit();";
  const secret = String((ctx.oidc.session?.state as { secret?: string } | undefined)?.secret ?? '');
  ctx.set('content-security-policy', PROVIDER_CSP.replace("script-src 'self'", `script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`));
  const body = html`<h1>${translate(locale, 'sign_in.sign_out')}</h1>
<form id="nyckel-logout" method="post" action="${ctx.oidc.urlFor('end_session_confirm')}">
<input type="hidden" name="xsrf" value="${secret}"><input type="hidden" name="logout" value="yes">
<button class="btn btn-primary" type="submit">${translate(locale, 'sign_in.sign_out')}</button>
</form>
<script>${new Html(script)}</script>`;
  ctx.type = 'html';
  ctx.body = page({ locale, title: translate(locale, 'sign_in.sign_out'), body });
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  const locale = localeOf(ctx);
  const body = html`<h1>${translate(locale, 'sign_in.signed_out')}</h1>`;
  ctx.type = 'html';
  ctx.body = page({ locale, title: translate(locale, 'sign_in.signed_out'), body });
}
