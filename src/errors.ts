// The one error type. `code` is a stable message code (translated at render time), `status` the HTTP status,
// `expose` whether the message may be shown to the caller. Expected outcomes are values, not errors.
export class NyckelError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly params: Record<string, string | number>;

  constructor(code: string, status = 400, options: { expose?: boolean; params?: Record<string, string | number>; message?: string } = {}) {
    super(options.message ?? code);
    this.name = 'NyckelError';
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.params = options.params ?? {};
  }
}

export const badRequest = (code: string, message?: string) => new NyckelError(code, 400, message ? { message } : {});
export const notFound = (code: string) => new NyckelError(code, 404);
export const conflict = (code: string) => new NyckelError(code, 409);
