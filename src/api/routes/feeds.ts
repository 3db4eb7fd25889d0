import { Router } from 'express';
import { z } from 'zod';
import {
  deleteFeed,
  findFeedByUrl,
  getFeed,
  insertFeed,
  listFeeds,
  requestPoll,
  updateFeed,
} from '../../db/feeds.repository.js';
import { decodeFeedBytes } from '../../pipeline/decode-charset.js';
import { discoverFeeds, looksLikeHtml, type DiscoveredFeed } from '../../pipeline/discover-feeds.js';
import { fetchFeed } from '../../pipeline/fetch-feed.js';
import { addressPolicy, fetchOptions } from '../../fetch-options.js';
import { FeedError } from '../../pipeline/types.js';
import { enqueue } from '../../queue/queues.js';
import { requireToken } from '../auth.js';
import { acceptUrl } from '../feed-url.js';
import type { ApiDeps } from '../deps.js';
import { feedToDto } from '../dto.js';
import { HttpError } from '../http-error.js';
import { validate } from '../validate.js';

const idParam = z.object({ id: z.coerce.number().int().positive() });
const addBody = z.object({
  url: z.string().trim().min(1).max(2048),
  /** With a site page URL: answer with the feeds it advertises instead of subscribing to the first. */
  discover: z.boolean().default(false),
});
const patchBody = z
  .object({
    intervalSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86400)
      .optional(),
    enabled: z.boolean().optional(),
    preferred: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give intervalSeconds, enabled and/or preferred');

export function feedsRouter(deps: ApiDeps): Router {
  const { db, queues, config } = deps;
  const write = requireToken(config.API_TOKEN);
  const r = Router();

  r.get('/', async (_req, res) => {
    res.json({ feeds: (await listFeeds(db)).map(feedToDto) });
  });

  r.post('/', write, async (req, res) => {
    const { url, discover } = validate(addBody, req.body, 'body');
    const parsed = await acceptUrl(url, addressPolicy(config));
    const existing = await findFeedByUrl(db, parsed.href);
    if (existing && !discover) {
      res.status(200).json({ feed: feedToDto(existing), created: false });
      return;
    }
    const found = await discoverFromPage(parsed.href, config);
    if (discover) {
      res.json({ feeds: found ?? [{ url: parsed.href, title: '', type: '' }] });
      return;
    }
    // A page may point anywhere: its feed is held to the same rules as a URL given directly.
    const target = found ? (await acceptUrl(found[0]!.url, addressPolicy(config))).href : parsed.href;
    const { feed, created } = await insertFeed(db, target, config.POLL_INTERVAL_SECONDS);
    if (created) await enqueue(queues, 'refresh-feed', { feedId: feed.id }, `feed:${feed.id}`);
    res
      .status(created ? 201 : 200)
      .json({ feed: feedToDto(feed), created, ...(found ? { discoveredFrom: parsed.href } : {}) });
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
      ...(body.preferred !== undefined ? { preferred: body.preferred } : {}),
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

/**
 * Fetches the URL once: when it is an HTML page, the feeds it advertises (400 when none);
 * when it is a feed, or cannot be fetched now, null (the URL is subscribed as given, and the
 * poll records any failure on the feed).
 */
async function discoverFromPage(url: string, config: ApiDeps['config']): Promise<DiscoveredFeed[] | null> {
  let page;
  try {
    page = await fetchFeed(url, {
      ...fetchOptions(config),
      timeoutMs: Math.min(config.FETCH_TIMEOUT_MS, 10_000),
      accept: 'text/html, application/xhtml+xml, application/atom+xml, application/rss+xml, */*;q=0.5',
    });
  } catch (err) {
    if (err instanceof FeedError && /blocked/.test(err.code)) throw new HttpError(400, 'url_refused', err.message);
    return null;
  }
  if (page.kind !== 'ok') return null;
  const text = decodeFeedBytes(page.body, page.contentType).text;
  if (!looksLikeHtml(page.contentType, text)) return null;
  const feeds = discoverFeeds(text, page.finalUrl);
  if (feeds.length === 0)
    throw new HttpError(
      400,
      'no_feed_found',
      `${url} is an HTML page that advertises no feed (no <link rel="alternate"> of a feed type)`,
    );
  return feeds;
}

async function mustGet({ db }: ApiDeps, id: number) {
  const feed = await getFeed(db, id);
  if (!feed) throw new HttpError(404, 'not_found', `no feed ${id}`);
  return feed;
}
