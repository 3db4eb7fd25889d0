import express, { Router } from 'express';
import { insertFeed, listFeeds } from '../../db/feeds.repository.js';
import { buildOpml, parseOpml } from '../../pipeline/opml.js';
import { FeedError } from '../../pipeline/types.js';
import { enqueue } from '../../queue/queues.js';
import { addressPolicy } from '../../fetch-options.js';
import { requireToken } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { parseFeedUrl, refuseUnfetchable } from '../feed-url.js';
import { HttpError } from '../http-error.js';

const opmlBody = express.text({ type: ['text/x-opml', 'application/xml', 'text/xml', 'text/plain', 'application/octet-stream'], limit: '5mb' });

/** POST /api/v1/opml imports an OPML file (the body); GET /api/v1/opml exports every feed as OPML 2.0. */
export function opmlRouter({ db, queues, config }: ApiDeps): Router {
  const r = Router();

  r.get('/', async (_req, res) => {
    const feeds = await listFeeds(db);
    const body = buildOpml(feeds.map((f) => ({ url: f.url, title: f.title, siteUrl: f.site_url, tags: f.tags })), 'topicwire subscriptions');
    res.type('text/x-opml; charset=utf-8').attachment('topicwire.opml').send(body);
  });

  r.post('/', requireToken(config.API_TOKEN), opmlBody, async (req, res) => {
    if (typeof req.body !== 'string' || !req.body.trim()) {
      throw new HttpError(400, 'invalid_request', 'send the OPML file as the request body (Content-Type: text/x-opml or application/xml)');
    }
    let listed;
    try {
      listed = parseOpml(req.body);
    } catch (err) {
      if (err instanceof FeedError) throw new HttpError(400, 'invalid_opml', err.message);
      throw err;
    }
    const added: { id: number; url: string }[] = [];
    const skipped: { url: string; reason: string }[] = [];
    const refused: { url: string; reason: string }[] = [];
    const seen = new Set<string>();
    for (const entry of listed) {
      let url: string;
      try {
        const parsed = parseFeedUrl(entry.url);
        await refuseUnfetchable(parsed, addressPolicy(config));
        url = parsed.href;
      } catch (err) {
        refused.push({ url: entry.url, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      if (seen.has(url)) {
        skipped.push({ url, reason: 'listed twice in this file' });
        continue;
      }
      seen.add(url);
      const { feed, created } = await insertFeed(db, url, config.POLL_INTERVAL_SECONDS, { title: entry.title, siteUrl: entry.siteUrl, tags: entry.tags });
      if (!created) {
        skipped.push({ url, reason: `already subscribed as feed ${feed.id}` });
        continue;
      }
      await enqueue(queues, 'refresh-feed', { feedId: feed.id }, `feed:${feed.id}`);
      added.push({ id: feed.id, url });
    }
    res.json({ added, skipped, refused });
  });

  return r;
}
