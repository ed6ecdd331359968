// Headers on every response (SECURITY.md "Hosted pages"): strict CSP with no scripts and no framing,
// no referrer, no sniffing, no caching of pages that may hold personal data.
import type { FastifyInstance } from 'fastify';

const CSP = ["default-src 'none'", "style-src 'self'", "img-src 'self' data: https:", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"].join('; ');

export function registerSecurityHeaders(app: FastifyInstance, opts: { https: boolean; skip?: (url: string) => boolean }): void {
  // A callback hook, not an async one: it runs on every response, and an async hook costs a promise and a
  // turn of the microtask queue each time.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (!opts.skip?.(req.url)) {
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('Referrer-Policy', 'no-referrer');
      reply.header('X-Frame-Options', 'DENY');
      if (!reply.hasHeader('Content-Security-Policy')) reply.header('Content-Security-Policy', CSP);
      if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
      if (opts.https) reply.header('Strict-Transport-Security', 'max-age=31536000');
    }
    done(null, payload);
  });
}
