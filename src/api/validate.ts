import { z } from 'zod';
import { parseInput } from '../app/input.js';

/**
 * Parses request input with a schema; a 400 names every field that is wrong and why (NUL
 * characters included): the application layer's own check, so that routes and use cases refuse
 * alike (invalid_request, 400).
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, where: 'body' | 'query' | 'path'): z.infer<S> {
  return parseInput(schema, input, where);
}

// Query parameters that several routes read (the items API, topic feeds).

/** `?stories=false` lists every item; by default each story appears once. */
export const storiesParam = z
  .enum(['true', 'false'])
  .default('true')
  .transform((v) => v === 'true');
export const langParam = z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$/, 'a language tag such as en or hi-IN');

// What PostgreSQL's timestamptz and every client can take: years 1 to 9999.
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** Whether a time is one the database and clients can hold (an Invalid Date is not). */
export const isStorableTime = (ms: number) => ms >= EARLIEST && ms <= LATEST;

/** `since`, `until`: an ISO-8601 date or date-time from year 1 to 9999. */
export const dateParam = z
  .string()
  .refine((s) => isStorableTime(Date.parse(s)), 'an ISO-8601 date or date-time, years 1 to 9999')
  .transform((s) => new Date(s));
