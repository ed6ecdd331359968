// The redirect page of the Run now test application: the decoded ID token (header and claims), or the error
// the user flow returned (e.g. AADB2C90118 from a legacy sign-in flow). An admin tool, like jwt.ms.
import { html } from '../ui/html.ts';
import { page } from '../ui/layout.ts';

export type RunNowResult = { idToken: string } | { error: string; description: string };

function decodePart(token: string, index: number): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function renderRunNowPage(result: RunNowResult): string {
  if ('error' in result) {
    const body = html`<h1>Run now: the user flow returned an error</h1>
<dl class="claims" id="runnow-error"><dt>error</dt><dd>${result.error}</dd><dt>error_description</dt><dd id="error-description">${result.description}</dd></dl>`;
    return page({ locale: 'en', title: 'Run now', body });
  }
  const header = decodePart(result.idToken, 0);
  const claims = decodePart(result.idToken, 1);
  const body = html`<h1>Run now: decoded token</h1>
<p class="intro">The ID token issued to the test application. Its signature was made with the tenant's key (see the kid).</p>
<h2>Claims</h2>
<table class="claims" id="runnow-claims">${Object.entries(claims).map(([k, v]) => html`<tr><th>${k}</th><td data-claim="${k}">${typeof v === 'string' ? v : JSON.stringify(v)}</td></tr>`)}</table>
<h2>Header</h2>
<pre id="runnow-header">${JSON.stringify(header, null, 2)}</pre>
<h2>Encoded token</h2>
<pre class="token" id="runnow-token">${result.idToken}</pre>`;
  return page({ locale: 'en', title: 'Run now', body });
}
