// JSON logs (pino). Request lines carry method, path and client address only: query strings hold flow ids
// (bearer secrets for API flows) and are never logged, nor are headers (cookies, Authorization).
import { pino, type Logger } from 'pino';

interface RawRequest {
  method?: string;
  url?: string;
  ip?: string;
  id?: string;
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    serializers: {
      req: (req: RawRequest) => ({ id: req.id, method: req.method, path: (req.url ?? '').split('?')[0], ip: req.ip }),
    },
  });
}
