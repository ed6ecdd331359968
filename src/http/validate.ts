// Schema validation for request input. Anything that does not fit the schema — arrays from repeated fields,
// objects, oversized strings, control characters — is a 400 `request.invalid` before any handler runs.
import { z } from 'zod';
import { NyckelError } from '../errors.ts';

/** One string field: no arrays, no objects, bounded, no control characters except in passwords. */
export const field = (max: number) => z.string().max(max).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'control characters');
export const passwordField = z.string().max(1024);

export function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new NyckelError('request.invalid', 400, { message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
  }
  return result.data;
}
