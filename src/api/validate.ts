import type { z } from 'zod';
import { HttpError } from './http-error.js';

/** Parses request input with a schema; a 400 names every field that is wrong and why. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => ({ field: i.path.join('.') || where, message: i.message }));
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  throw new HttpError(400, 'invalid_request', `invalid ${where}: ${summary}`, problems);
}
