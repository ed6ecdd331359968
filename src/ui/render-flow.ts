// Renders a flow's JSON (its UI description) as an HTML form: the hosted pages are just this renderer.
import { html, type Html } from './html.ts';
import { page } from './layout.ts';
import { translate } from '../i18n/translate.ts';
import type { Locale } from '../i18n/locales.ts';
import type { UiMessage, UiNode, UiText } from '../flows/common/ui.ts';
import type { FlowJson } from '../flows/password-reset/flow.ts';

const t = (locale: Locale, text: UiText | undefined) => (text ? translate(locale, text.code, text.params) : '');

function messages(locale: Locale, list: UiMessage[] | undefined): Html {
  return html`${(list ?? []).map((m) => html`<p class="msg msg-${m.type}" role="${m.type === 'error' ? 'alert' : 'status'}" data-code="${m.code}">${t(locale, m)}</p>`)}`;
}

function node(locale: Locale, n: UiNode): Html {
  switch (n.type) {
    case 'hidden':
      return html`<input type="hidden" name="${n.name}" value="${n.value ?? ''}">`;
    case 'submit':
      return html`<button type="submit" name="${n.name}" value="${n.value ?? ''}" class="btn btn-${n.variant ?? 'primary'}"${n.formnovalidate ? html` formnovalidate` : ''}>${t(locale, n.label)}</button>`;
    case 'link':
      return html`<a class="btn btn-${n.variant ?? 'link'}" id="${n.name}" href="${n.href ?? '#'}">${t(locale, n.label)}</a>`;
    default: {
      const id = `f-${n.name}`;
      return html`<div class="field">
<label for="${id}">${t(locale, n.label)}</label>
<input id="${id}" name="${n.name}" type="${n.type}" value="${n.type === 'password' ? '' : (n.value ?? '')}"${n.required ? html` required` : ''}${n.readonly ? html` readonly` : ''}${n.autocomplete ? html` autocomplete="${n.autocomplete}"` : ''}${n.inputmode ? html` inputmode="${n.inputmode}"` : ''}${n.maxlength ? html` maxlength="${n.maxlength}"` : ''}${n.pattern ? html` pattern="${n.pattern}"` : ''}>
${messages(locale, n.messages)}
</div>`;
    }
  }
}

export function renderFlowPage(flow: FlowJson, opts: { locale: Locale; tenantName: string }): string {
  const { locale } = opts;
  const onlyLinks = flow.ui.nodes.filter((n) => n.type !== 'hidden').every((n) => n.type === 'link');
  const body = html`<h1>${t(locale, flow.ui.title)}</h1>
${flow.ui.intro ? html`<p class="intro">${t(locale, flow.ui.intro)}</p>` : ''}
${messages(locale, flow.ui.messages)}
${
  onlyLinks
    ? html`<div class="actions">${flow.ui.nodes.filter((n) => n.type === 'link').map((n) => node(locale, n))}</div>`
    : html`<form method="post" action="${flow.ui.action}" novalidate>
${flow.ui.nodes.map((n) => node(locale, n))}
</form>`
}`;
  return page({ locale, title: t(locale, flow.ui.title), tenantName: opts.tenantName, body });
}

export function renderMessagePage(opts: { locale: Locale; tenantName?: string; titleCode: string; messageCode: string; link?: { href: string; code: string } }): string {
  const body = html`<h1>${translate(opts.locale, opts.titleCode)}</h1>
<p class="msg msg-error" role="alert" data-code="${opts.messageCode}">${translate(opts.locale, opts.messageCode)}</p>
${opts.link ? html`<div class="actions"><a class="btn btn-primary" href="${opts.link.href}">${translate(opts.locale, opts.link.code)}</a></div>` : ''}`;
  return page({ locale: opts.locale, title: translate(opts.locale, opts.titleCode), ...(opts.tenantName ? { tenantName: opts.tenantName } : {}), body });
}
