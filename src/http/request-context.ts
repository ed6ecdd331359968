import type { FastifyRequest } from 'fastify';
import type { RequestContext } from '../services.ts';

/** Client IP comes from the socket, or X-Forwarded-For only when trustProxy is configured (Fastify option). */
export function requestContext(req: FastifyRequest): RequestContext {
  const ua = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null };
}
