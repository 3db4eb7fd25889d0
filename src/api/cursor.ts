import type { Cursor } from '../db/items.repository.js';
import { HttpError } from './http-error.js';
import { isStorableTime } from './validate.js';

/** The keyset position of the last item of a page, opaque to clients. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.sortAt.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const [sortAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    const date = new Date(typeof sortAt === 'string' ? sortAt : NaN);
    // Checked as the database will take them: a row id (a positive int8 we handed out) and a time.
    if (!Number.isSafeInteger(id) || (id as number) < 1 || !isStorableTime(date.getTime())) throw new Error('bad');
    return { sortAt: date, id: id as number };
  } catch {
    throw new HttpError(400, 'invalid_request', 'invalid query: cursor: not a cursor this API returned');
  }
}
