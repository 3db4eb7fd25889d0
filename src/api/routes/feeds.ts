import { Router } from 'express';
import { z } from 'zod';
import { deleteFeed, getFeed, insertFeed, listFeeds, requestPoll, updateFeed } from '../../db/feeds.repository.js';
import { assertFetchable } from '../../pipeline/address-guard.js';
import { FeedError } from '../../pipeline/types.js';
import { enqueue } from '../../queue/queues.js';
import { requireToken } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { feedToDto } from '../dto.js';
import { HttpError } from '../http-error.js';
import { validate } from '../validate.js';

const idParam = z.object({ id: z.coerce.number().int().positive() });
const addBody = z.object({ url: z.string().trim().min(1).max(2048) });
const patchBody = z
  .object({ intervalSeconds: z.number().int().min(60).max(7 * 86400).optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give intervalSeconds and/or enabled');

export function feedsRouter(deps: ApiDeps): Router {
  const { db, queues, config } = deps;
  const write = requireToken(config.API_TOKEN);
  const r = Router();

  r.get('/', async (_req, res) => {
    res.json({ feeds: (await listFeeds(db)).map(feedToDto) });
  });

  r.post('/', write, async (req, res) => {
    const { url } = validate(addBody, req.body, 'body');
    const parsed = parseFeedUrl(url);
    try {
      await assertFetchable(parsed, config.FETCH_ALLOW_PRIVATE);
    } catch (err) {
      if (err instanceof FeedError) throw new HttpError(400, 'url_refused', err.message);
      throw err;
    }
    const { feed, created } = await insertFeed(db, parsed.href, config.POLL_INTERVAL_SECONDS);
    if (created) await enqueue(queues, 'refresh-feed', { feedId: feed.id }, `feed:${feed.id}`);
    res.status(created ? 201 : 200).json({ feed: feedToDto(feed), created });
  });

  r.get('/:id', async (req, res) => {
    res.json({ feed: feedToDto(await mustGet(deps, validate(idParam, req.params, 'path').id)) });
  });

  r.patch('/:id', write, async (req, res) => {
    const { id } = validate(idParam, req.params, 'path');
    const body = validate(patchBody, req.body, 'body');
    await mustGet(deps, id);
    if (body.enabled === true) await requestPoll(db, id);
    const feed = await updateFeed(db, id, {
      ...(body.intervalSeconds ? { interval_seconds: body.intervalSeconds } : {}),
      ...(body.enabled === false ? { disabled_reason: 'disabled by the user', status: 'disabled' as const } : {}),
    });
    res.json({ feed: feedToDto(feed!) });
  });

  r.delete('/:id', write, async (req, res) => {
    const { id } = validate(idParam, req.params, 'path');
    if (!(await deleteFeed(db, id))) throw new HttpError(404, 'not_found', `no feed ${id}`);
    res.status(204).end();
  });

  r.post('/:id/refresh', write, async (req, res) => {
    const { id } = validate(idParam, req.params, 'path');
    const feed = await requestPoll(db, id);
    if (!feed) throw new HttpError(404, 'not_found', `no feed ${id}`);
    await enqueue(queues, 'refresh-feed', { feedId: id }, `feed:${id}`);
    res.status(202).json({ feed: feedToDto(feed) });
  });

  return r;
}

async function mustGet({ db }: ApiDeps, id: number) {
  const feed = await getFeed(db, id);
  if (!feed) throw new HttpError(404, 'not_found', `no feed ${id}`);
  return feed;
}

/** The URL as stored: absolute http(s), host lower-cased, fragment dropped (it never reaches the server). */
function parseFeedUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpError(400, 'invalid_url', `not an absolute URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HttpError(400, 'url_refused', `only http and https feeds can be added, not ${parsed.protocol}`);
  }
  parsed.hash = '';
  return parsed;
}
