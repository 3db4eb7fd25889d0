import { Router } from 'express';
import { z } from 'zod';
import { getItem, listItems } from '../../db/items.repository.js';
import { splitItem } from '../../db/stories.repository.js';
import { getTopicBySlug } from '../../db/topics.repository.js';
import { requireToken } from '../auth.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import type { ApiDeps } from '../deps.js';
import { itemToDto } from '../dto.js';
import { HttpError } from '../http-error.js';
import { langParam, storiesParam, validate } from '../validate.js';

const date = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 date or date-time')
  .transform((s) => new Date(s));
const itemId = z.object({ id: z.coerce.number().int().positive() });
const listQuery = z
  .object({
    topic: z.string().min(1).optional(),
    feed: z.coerce.number().int().positive().optional(),
    q: z.string().trim().min(1).max(200).optional(),
    since: date.optional(),
    until: date.optional(),
    lang: langParam.optional(),
    stories: storiesParam,
    prefer_lang: langParam.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().optional(),
  })
  .strict();

export function itemsRouter({ db, config }: ApiDeps): Router {
  const r = Router();
  const write = requireToken(config.API_TOKEN);

  r.get('/', async (req, res) => {
    const query = validate(listQuery, req.query, 'query');
    let topicId: number | undefined;
    if (query.topic) {
      const topic = await getTopicBySlug(db, query.topic);
      if (!topic) throw new HttpError(404, 'not_found', `no topic "${query.topic}"`);
      topicId = topic.id;
    }
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const rows = await listItems(
      db,
      {
        topicId,
        feedId: query.feed,
        since: query.since,
        until: query.until,
        q: query.q,
        lang: query.lang,
        stories: query.stories,
        preferLang: query.prefer_lang,
      },
      query.limit + 1,
      cursor,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    res.json({
      items: page.map(itemToDto),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ sortAt: last.sort_at, id: last.id }) : null,
    });
  });

  r.get('/:id', async (req, res) => {
    const { id } = validate(itemId, req.params, 'path');
    const item = await getItem(db, id);
    if (!item) throw new HttpError(404, 'not_found', `no item ${id}`);
    res.json({ item: itemToDto(item) });
  });

  // A wrongly grouped item leaves its story for good (grouping never moves it again).
  r.post('/:id/split', write, async (req, res) => {
    const { id } = validate(itemId, req.params, 'path');
    if (!(await splitItem(db, id))) throw new HttpError(404, 'not_found', `no item ${id}`);
    res.json({ item: itemToDto((await getItem(db, id))!) });
  });

  return r;
}
