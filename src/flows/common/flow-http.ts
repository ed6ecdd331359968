// The HTTP side every flow shares: reading the flow id and csrf token, answering with JSON or a page.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Keys } from '../../security/secrets.ts';
import { readCookie, csrfCookieName, type CookiePolicy } from '../../http/cookies.ts';
import { wantsJson } from '../../http/error-handler.ts';
import { field, parse } from '../../http/validate.ts';
import { negotiateLocale } from '../../i18n/negotiate.ts';
import { renderFlowPage } from '../../ui/render-flow.ts';
import type { UiMessage } from './ui.ts';
import { csrfTokenFor, type FlowRow } from './flow-store.ts';
import type { FlowJson } from '../password-reset/flow.ts';

export const flowQuery = z.object({ flow: field(64).optional(), ui_locales: field(100).optional() }).strict();

export function readFlowQuery(req: FastifyRequest) {
  return parse(flowQuery, req.query);
}

/** The page language: ui_locales on this request, then the flow's negotiated language, then the browser's. */
export function flowLocale(req: FastifyRequest, flow: FlowRow, uiLocales?: string) {
  const stored = (flow.data as { locale?: string }).locale;
  return negotiateLocale({ uiLocales: uiLocales ?? stored, acceptLanguage: req.headers['accept-language'] });
}

/** Adds the csrf_token node a browser flow's forms must echo (derived from the browser's cookie). */
export function withCsrfNode(json: FlowJson, keys: Keys, flow: FlowRow, req: FastifyRequest, policy: CookiePolicy): FlowJson {
  const browserToken = readCookie(req, csrfCookieName(policy));
  if (!flow.browser || !browserToken) return json;
  return { ...json, ui: { ...json.ui, nodes: [{ name: 'csrf_token', type: 'hidden', value: csrfTokenFor(keys, flow, browserToken) }, ...json.ui.nodes] } };
}

export function sendFlow(req: FastifyRequest, reply: FastifyReply, json: FlowJson, opts: { status: number; flow: FlowRow; tenantName: string; uiLocales?: string }) {
  if (wantsJson(req)) return reply.status(opts.status).send(json);
  const locale = flowLocale(req, opts.flow, opts.uiLocales);
  return reply.status(opts.status).type('text/html; charset=utf-8').send(renderFlowPage(json, { locale, tenantName: opts.tenantName }));
}

/** After a browser form POST: see-other to the flow's page, so reload never resubmits (messages live on the flow). */
export function afterSubmit(req: FastifyRequest, reply: FastifyReply, pageUrl: string, json: FlowJson, opts: { status: number; flow: FlowRow; tenantName: string; extra?: UiMessage[] }) {
  if (wantsJson(req) || (opts.extra && opts.extra.length > 0)) return sendFlow(req, reply, json, opts);
  return reply.redirect(pageUrl, 303);
}
