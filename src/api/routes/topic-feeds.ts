import { createHash } from 'node:crypto';
import { Router } from 'express';
import fresh from 'fresh';
import { z } from 'zod';
import { listItems } from '../../db/items.repository.js';
import { getTopicBySlug } from '../../db/topics.repository.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { CONTENT_TYPES, hubUrl, renderTopicFeed, type FeedFormat } from '../render-topic-feed.js';
import { langParam, storiesParam, validate } from '../validate.js';

const FEED_ITEMS = 50;
const feedQuery = z.object({ stories: storiesParam, prefer_lang: langParam.optional() });
const params = z.object({ slug: z.string().min(1).max(63), format: z.enum(['atom', 'rss', 'json']) });

/** GET /topics/:slug/feed.(atom|rss|json), with an ETag of the body and Last-Modified, 304 when unchanged. */
export function topicFeedsRouter({ db, config }: ApiDeps): Router {
  const r = Router();
  r.get('/:slug/feed.:format', async (req, res) => {
    const { slug, format } = validate(params, req.params, 'path');
    const { stories, prefer_lang: preferLang } = validate(feedQuery, req.query, 'query');
    const topic = await getTopicBySlug(db, slug);
    if (!topic) throw new HttpError(404, 'not_found', `no topic "${slug}"`);
    const items = await listItems(db, { topicId: topic.id, stories, preferLang }, FEED_ITEMS, null);
    const baseUrl = config.PUBLIC_URL?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host')}`;
    const body = renderTopicFeed(format as FeedFormat, topic, items, baseUrl);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const lastModified = new Date(
      Math.max(topic.updated_at.getTime(), ...items.map((i) => i.fetched_at.getTime())),
    ).toUTCString();
    res.set({
      ETag: etag,
      'Last-Modified': lastModified,
      'Cache-Control': 'public, max-age=60',
      Vary: 'Accept-Encoding',
    });
    // WebSub §4: discovery by Link headers as well as in the document.
    res.set('Link', `<${hubUrl(baseUrl)}>; rel="hub", <${baseUrl}/topics/${slug}/feed.${format}>; rel="self"`);
    // As the origin server we answer a matching validator with 304 even under "Cache-Control:
    // no-cache", which fetch() adds to every conditional request (req.fresh would say stale).
    const { 'cache-control': _ignored, ...conditional } = req.headers;
    if (fresh(conditional, { etag, 'last-modified': lastModified })) {
      res.status(304).end();
      return;
    }
    res.type(CONTENT_TYPES[format as FeedFormat]).send(body);
  });
  return r;
}
