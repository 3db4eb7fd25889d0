import { Router } from 'express';
import { z } from 'zod';
import { findItems, getItem, splitFromStory } from '../../app/items.js';
import { audienceOf, requireScope, viewerOf } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { jsonResponse, sendReady, type CachedReads } from '../cached-reads.js';
import type { ApiDeps } from '../deps.js';
import { ReadGate } from '../read-gate.js';
import { itemToDto } from '../dto.js';
import { dateParam, langParam, storiesParam, validate } from '../validate.js';

const itemId = z.object({ id: z.coerce.number().int().positive() });
const listQuery = z
  .object({
    topic: z.string().min(1).optional(),
    feed: z.coerce.number().int().positive().optional(),
    q: z.string().trim().min(1).max(200).optional(),
    since: dateParam.optional(),
    until: dateParam.optional(),
    lang: langParam.optional(),
    stories: storiesParam,
    prefer_lang: langParam.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().optional(),
  })
  .strict();

export function itemsRouter(ctx: ApiDeps, reads: CachedReads): Router {
  const r = Router();
  const write = requireScope(ctx, 'write');
  const { SEARCH_CONCURRENCY, SEARCH_QUEUE, SEARCH_TIMEOUT_MS } = ctx.config;
  const searches = new ReadGate({ concurrency: SEARCH_CONCURRENCY, queue: SEARCH_QUEUE, waitMs: SEARCH_TIMEOUT_MS });

  r.get('/', async (req, res) => {
    const { cursor, limit, prefer_lang: preferLang, feed, ...filter } = validate(listQuery, req.query, 'query');
    const after = cursor ? decodeCursor(cursor) : null;
    const viewer = await viewerOf(ctx, req);
    // Answers differ by audience (private topics' items and tags), so each has its own entries.
    const response = await reads.get(`${audienceOf(viewer)}\n${req.originalUrl}`, async () => {
      const find = () => findItems(ctx, { ...filter, feedId: feed, preferLang }, limit, after, viewer);
      // Searches wait their turn (answers from the cache do not); other reads are cheap index walks.
      const page = filter.q ? await searches.run(find) : await find();
      return jsonResponse({ items: page.items.map(itemToDto), nextCursor: page.next ? encodeCursor(page.next) : null });
    });
    sendReady(req, res, response);
  });

  r.get('/:id', async (req, res) => {
    const { id } = validate(itemId, req.params, 'path');
    res.json({ item: itemToDto(await getItem(ctx, id, await viewerOf(ctx, req))) });
  });

  r.post('/:id/split', write, async (req, res) => {
    res.json({ item: itemToDto(await splitFromStory(ctx, validate(itemId, req.params, 'path').id)) });
  });

  return r;
}
