import { Router } from 'express';
import { z } from 'zod';
import { getTopic } from '../../app/topics.js';
import type { StoryStream } from '../../app/story-stream.js';
import { viewerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { itemToDto } from '../dto.js';
import { HttpError } from '../http-error.js';
import { validate } from '../validate.js';

const params = z.object({ slug: z.string().min(1).max(63) });
const streamQuery = z.object({
  key: z.string().min(1).max(200).optional(),
  // For a first connection that resumes (EventSource sends Last-Event-ID only when it reconnects).
  last_event_id: z.string().optional(),
});
const EVENT_ID = /^\d{1,15}$/;

// A client that does not read what it is sent is let go past this much waiting output.
const MAX_BUFFERED = 1 << 20;

/**
 * GET /topics/:slug/stream: the topic's new stories as Server-Sent Events
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html): `event: story`, `id:` the
 * story log's id, `data:` the item as JSON. Resumes after Last-Event-ID (header, or
 * `?last_event_id=`) without loss or repeat, in any API process; a comment every
 * STREAM_HEARTBEAT_MS keeps proxies from closing it. Private topics as their feeds: a read token
 * or `?key=`.
 */
export function topicStreamRouter(ctx: ApiDeps, stories: StoryStream): Router {
  const r = Router();
  r.get('/:slug/stream', async (req, res) => {
    const { slug } = validate(params, req.params, 'path');
    const { key, last_event_id: given } = validate(streamQuery, req.query, 'query');
    const resumeFrom = req.get('last-event-id') ?? given;
    if (resumeFrom !== undefined && !EVENT_ID.test(resumeFrom)) {
      throw new HttpError(400, 'invalid_request', 'Last-Event-ID: the `id` of an event this stream sent (digits)');
    }
    const afterId = resumeFrom === undefined ? null : Number(resumeFrom);
    const viewer = await viewerOf(ctx, req, key);
    const topic = await getTopic(ctx, slug, viewer);
    if (stories.size >= ctx.config.STREAM_MAX) {
      throw new HttpError(503, 'busy', 'too many live streams open; try again in a moment', undefined, {
        'Retry-After': '30',
      });
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      // nginx would otherwise hold the events back in its buffer.
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 3000\n\n`);
    let close = () => {};
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), ctx.config.STREAM_HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      close();
      if (!res.writableEnded) res.end();
    };
    req.on('close', end);
    try {
      close = await stories.listen(
        {
          topic,
          viewer,
          send: ({ id, item }) => {
            if (res.writableEnded) return;
            if (res.writableLength > MAX_BUFFERED) {
              ctx.log.info({ topic: topic.slug }, 'live stream: the client does not keep up; it is let go');
              end();
              return;
            }
            res.write(`id: ${id}\nevent: story\ndata: ${JSON.stringify(itemToDto(item))}\n\n`);
          },
          end: (reason) => {
            if (!res.writableEnded) res.write(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
            end();
          },
        },
        afterId,
      );
    } catch (err) {
      // The answer has begun: the client sees the stream end and comes back with its Last-Event-ID.
      ctx.log.warn({ err, topic: topic.slug }, 'live stream could not start');
      end();
      return;
    }
    if (res.writableEnded) close();
  });
  return r;
}
