// One error shape for every endpoint: `{ error: { code, message } }` for JSON clients and a translated page
// for browsers. Input problems Fastify detects (bad JSON, too large, wrong media type) map to 4xx codes;
// only a real fault is a 500, and its details stay in the log.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NyckelError } from '../errors.ts';
import { negotiateLocale } from '../i18n/negotiate.ts';
import { translate } from '../i18n/translate.ts';
import { renderMessagePage } from '../ui/render-flow.ts';

const FASTIFY_CODES: Record<string, [string, number]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['request.too_large', 413],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['request.unsupported_media_type', 415],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['request.invalid', 400],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['request.invalid', 400],
  FST_ERR_CTP_INVALID_JSON_BODY: ['request.invalid', 400],
  FST_ERR_VALIDATION: ['request.invalid', 400],
  FST_ERR_BAD_URL: ['request.invalid', 400],
  FST_ERR_MAX_PARAM_LENGTH: ['request.too_large', 414],
  FST_ERR_ASYNC_CONSTRAINT: ['request.invalid', 400],
};

export function toNyckelError(err: FastifyError | Error): NyckelError {
  if (err instanceof NyckelError) return err;
  const fastify = (err as FastifyError).code ? FASTIFY_CODES[(err as FastifyError).code] : undefined;
  if (fastify) return new NyckelError(fastify[0], fastify[1], { message: err.message });
  const status = (err as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return new NyckelError('request.invalid', status, { message: err.message });
  return new NyckelError('server.error', 500, { expose: false });
}

export function wantsJson(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  const type = req.headers['content-type'] ?? '';
  return accept.includes('application/json') || type.includes('application/json') || req.url.includes('/api/') || req.url.startsWith('/admin/') || req.url.startsWith('/graph/');
}

export function sendError(req: FastifyRequest, reply: FastifyReply, error: NyckelError) {
  const locale = negotiateLocale({ acceptLanguage: req.headers['accept-language'] });
  if (error.status === 503) reply.header('Retry-After', '1');
  if (wantsJson(req)) {
    const message = error.expose ? translate('en', error.code, error.params) : 'Internal error';
    return reply.status(error.status).type('application/json').send({ error: { code: error.code, message } });
  }
  return reply
    .status(error.status)
    .type('text/html; charset=utf-8')
    .send(renderMessagePage({ locale, titleCode: 'error.title', messageCode: error.expose ? error.code : 'server.error' }));
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const error = toNyckelError(err);
    if (error.status >= 500) req.log.error({ err }, 'request failed');
    return sendError(req, reply, error);
  });
  app.setNotFoundHandler((req, reply) => sendError(req, reply, new NyckelError('not_found', 404)));
}
