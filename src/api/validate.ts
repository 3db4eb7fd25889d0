import { z } from 'zod';
import { HttpError } from './http-error.js';

/** Parses request input with a schema; a 400 names every field that is wrong and why. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => ({ field: i.path.join('.') || where, message: i.message }));
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  throw new HttpError(400, 'invalid_request', `invalid ${where}: ${summary}`, problems);
}

// Query parameters that several routes read (the items API, topic feeds).

/** `?stories=false` lists every item; by default each story appears once. */
export const storiesParam = z
  .enum(['true', 'false'])
  .default('true')
  .transform((v) => v === 'true');
export const langParam = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$/, 'a language tag such as en or hi-IN');
