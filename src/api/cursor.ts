import type { Cursor } from '../db/items.repository.js';
import { HttpError } from './http-error.js';

/** The keyset position of the last item of a page, opaque to clients. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.sortAt.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const [sortAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [string, number];
    const date = new Date(sortAt);
    if (!Number.isInteger(id) || Number.isNaN(date.getTime())) throw new Error('bad');
    return { sortAt: date, id };
  } catch {
    throw new HttpError(400, 'invalid_request', 'invalid query: cursor: not a cursor this API returned');
  }
}
