import { createHash } from 'node:crypto';
import { Router } from 'express';
import fresh from 'fresh';
import { z } from 'zod';
import { topicFeed } from '../../app/items.js';
import type { ApiDeps } from '../deps.js';
import { CONTENT_TYPES, hubUrl, renderTopicFeed, type FeedFormat } from '../../render/topic-feed.js';
import { langParam, storiesParam, validate } from '../validate.js';

const feedQuery = z.object({ stories: storiesParam, prefer_lang: langParam.optional() });
const params = z.object({ slug: z.string().min(1).max(63), format: z.enum(['atom', 'rss', 'json']) });

/** GET /topics/:slug/feed.(atom|rss|json), with an ETag of the body and Last-Modified, 304 when unchanged. */
export function topicFeedsRouter(ctx: ApiDeps): Router {
  const { config } = ctx;
  const r = Router();
  r.get('/:slug/feed.:format', async (req, res) => {
    const { slug, format } = validate(params, req.params, 'path');
    const { stories, prefer_lang: preferLang } = validate(feedQuery, req.query, 'query');
    const { topic, items } = await topicFeed(ctx, slug, { stories, preferLang });
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
