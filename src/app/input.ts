import { z } from 'zod';
import { AppError } from './errors.js';

/**
 * A use case's input checked against its schema: an invalid_request error names every field
 * that is wrong and why, the same through the API and the CLI.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => ({ field: i.path.join('.') || what, message: i.message }));
  throw new AppError(
    'invalid_request',
    `invalid ${what}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    problems,
  );
}

/** The id of a stored row as a path or argument gives it ("12"): a positive safe integer. */
export const rowId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
