import { z } from 'zod';
import { AppError } from './errors.js';

/**
 * A use case's input checked against its schema: an invalid_request error names every field
 * that is wrong and why, the same through the API and the CLI.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const nul = nulPath(input);
  if (nul !== null) {
    const field = nul || what;
    throw new AppError('invalid_request', `invalid ${what}: ${field}: NUL characters are not accepted`, [
      { field, message: 'NUL characters are not accepted' },
    ]);
  }
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

/**
 * Where a NUL character hides in a value (strings, keys, arrays and objects, however deep): its
 * path ("" for the value itself), or null. PostgreSQL text cannot hold one, so such input would
 * otherwise fail in the database as a 500.
 */
export function nulPath(value: unknown, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\0') ? '' : null;
  if (typeof value !== 'object' || value === null || depth > 32) return null;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key.includes('\0')) return key;
    // The path is spelled out on the way back from a NUL only: every request's input passes here.
    const found = nulPath((value as Record<string, unknown>)[key], depth + 1);
    if (found !== null) return found ? `${key}.${found}` : key;
  }
  return null;
}
