import { Router } from 'express';
import { z } from 'zod';
import { topicFeed } from '../../app/items.js';
import { etagOf, sendReady, type CachedReads } from '../cached-reads.js';
import type { ApiDeps } from '../deps.js';
import { CONTENT_TYPES, hubUrl, renderTopicFeed, type FeedFormat } from '../../render/topic-feed.js';
import { langParam, storiesParam, validate } from '../validate.js';

const feedQuery = z.object({ stories: storiesParam, prefer_lang: langParam.optional() });
const params = z.object({ slug: z.string().min(1).max(63), format: z.enum(['atom', 'rss', 'json']) });

/** GET /topics/:slug/feed.(atom|rss|json), with an ETag of the body and Last-Modified, 304 when unchanged. */
export function topicFeedsRouter(ctx: ApiDeps, reads: CachedReads): Router {
  const { config } = ctx;
  const r = Router();
  r.get('/:slug/feed.:format', async (req, res) => {
    const { slug, format } = validate(params, req.params, 'path');
    const { stories, prefer_lang: preferLang } = validate(feedQuery, req.query, 'query');
    const baseUrl = config.PUBLIC_URL?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host')}`;
    const response = await reads.get(`${baseUrl}\n${req.originalUrl}`, async () => {
      const { topic, items } = await topicFeed(ctx, slug, { stories, preferLang });
      const body = Buffer.from(renderTopicFeed(format as FeedFormat, topic, items, baseUrl));
      const lastModified = new Date(
        Math.max(topic.updated_at.getTime(), ...items.map((i) => i.fetched_at.getTime())),
      ).toUTCString();
      return {
        body,
        headers: {
          'Content-Type': CONTENT_TYPES[format as FeedFormat],
          ETag: etagOf(body),
          'Last-Modified': lastModified,
          'Cache-Control': 'public, max-age=60',
          Vary: 'Accept-Encoding',
          // WebSub §4: discovery by Link headers as well as in the document.
          Link: `<${hubUrl(baseUrl)}>; rel="hub", <${baseUrl}/topics/${slug}/feed.${format}>; rel="self"`,
        },
      };
    });
    sendReady(req, res, response);
  });
  return r;
}
