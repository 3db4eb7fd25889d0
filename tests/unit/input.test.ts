import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { nulPath, parseInput } from '../../src/app/input.js';

describe('input with NUL characters', () => {
  it('when a NUL hides in a value, a key, an array or deep in objects, then its path is named', () => {
    expect(nulPath('a\0b')).toBe('');
    expect(nulPath({ name: 'ok', rule: 'x\0' })).toBe('rule');
    expect(nulPath({ ['k\0']: 1 })).toBe('k\0');
    expect(nulPath({ tags: ['a', 'b\0'] })).toBe('tags.1');
    expect(nulPath({ a: { b: { c: ['', { d: '\0' }] } } })).toBe('a.b.c.1.d');
    expect(nulPath({ a: { b: 'clean' }, c: [1, null, true], d: undefined })).toBeNull();
  });

  it('when the input holds one, then the error names the field, and clean input is parsed', () => {
    const schema = z.object({ q: z.string(), opts: z.object({ lang: z.string() }) });
    expect(() => parseInput(schema, { q: 'ok', opts: { lang: 'e\0n' } }, 'query')).toThrow(
      'invalid query: opts.lang: NUL characters are not accepted',
    );
    expect(() => parseInput(schema, 'x\0', 'body')).toThrow('invalid body: body: NUL characters');
    expect(parseInput(schema, { q: 'ok', opts: { lang: 'en' } }, 'query')).toEqual({ q: 'ok', opts: { lang: 'en' } });
  });
});
