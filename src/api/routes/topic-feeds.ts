import { Router, type Request } from 'express';
import { z } from 'zod';
import { topicFeed } from '../../app/items.js';
import { etagOf, sendReady, type CachedReads } from '../cached-reads.js';
import { audienceOf, viewerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { CONTENT_TYPES, hubUrl, renderTopicFeed, topicFeedUrl, type FeedFormat } from '../../render/topic-feed.js';
import { langParam, storiesParam, validate } from '../validate.js';

// `key`: a private topic's feed key, for feed readers that cannot send a token.
const feedQuery = z.object({
  stories: storiesParam,
  prefer_lang: langParam.optional(),
  key: z.string().min(1).max(200).optional(),
});
const params = z.object({ slug: z.string().min(1).max(63), format: z.enum(['atom', 'rss', 'json']) });

// A Host header as a client may send it: a name or address, and a port.
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;

/**
 * The service's own address as this request reached it, for the links of a topic feed (ids, self,
 * hub) when PUBLIC_URL is unset: Host (and X-Forwarded-Proto from a proxy on loopback). A Host
 * that is not a host name is refused rather than written into documents.
 */
function requestBaseUrl(req: Request): string {
  const host = req.get('host') ?? '';
  if (!HOST.test(host)) throw new HttpError(400, 'invalid_request', 'the Host header is not a host name');
  return `${req.protocol}://${host}`;
}

/**
 * With PUBLIC_URL set the links are the same for everyone and shared caches may keep the feed.
 * Without it they come from the request's Host, which a client chooses: a shared cache must not
 * serve one client's links to another (cache poisoning), so the answer is private and varies by it.
 */
function cachingBy(publicUrl: string | undefined): Record<string, string> {
  return publicUrl
    ? { 'Cache-Control': 'public, max-age=60', Vary: 'Accept-Encoding' }
    : { 'Cache-Control': 'private, max-age=60', Vary: 'Accept-Encoding, Host, X-Forwarded-Proto' };
}

/** GET /topics/:slug/feed.(atom|rss|json), with an ETag of the body and Last-Modified, 304 when unchanged. */
export function topicFeedsRouter(ctx: ApiDeps, reads: CachedReads): Router {
  const { config } = ctx;
  const r = Router();
  r.get('/:slug/feed.:format', async (req, res) => {
    const { slug, format } = validate(params, req.params, 'path');
    const { stories, prefer_lang: preferLang, key } = validate(feedQuery, req.query, 'query');
    const viewer = await viewerOf(ctx, req, key);
    const baseUrl = config.PUBLIC_URL?.replace(/\/$/, '') ?? requestBaseUrl(req);
    // The access check is made when the answer is built: an entry is only ever found by a request
    // of the same audience and URL (key included) while the data, so the topic, is unchanged.
    const response = await reads.get(`${audienceOf(viewer)}\n${baseUrl}\n${req.originalUrl}`, async () => {
      const { topic, items } = await topicFeed(ctx, slug, { stories, preferLang }, viewer);
      // Read with its (valid) key, a private feed's own links carry it.
      const feedKey = topic.visibility === 'private' && key === topic.feed_key ? key : undefined;
      const self = topicFeedUrl(baseUrl, slug, format as FeedFormat, feedKey);
      const body = Buffer.from(renderTopicFeed(format as FeedFormat, topic, items, baseUrl, feedKey));
      const lastModified = new Date(
        Math.max(topic.updated_at.getTime(), ...items.map((i) => i.fetched_at.getTime())),
      ).toUTCString();
      return {
        body,
        headers: {
          'Content-Type': CONTENT_TYPES[format as FeedFormat],
          ETag: etagOf(body),
          'Last-Modified': lastModified,
          // A private topic's feed is never kept by shared caches.
          ...(topic.visibility === 'private'
            ? { 'Cache-Control': 'private, max-age=60', Vary: 'Accept-Encoding, Authorization' }
            : cachingBy(config.PUBLIC_URL)),
          // WebSub §4: discovery by Link headers as well as in the document.
          Link: `<${hubUrl(baseUrl)}>; rel="hub", <${self}>; rel="self"`,
        },
      };
    });
    sendReady(req, res, response);
  });
  return r;
}
