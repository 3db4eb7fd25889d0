import { Router, type Request } from 'express';
import { z } from 'zod';
import { addFeed, discoverFeedsAt, getFeed, listFeeds, refreshFeed, removeFeed, updateFeed } from '../../app/feeds.js';
import { isAdmin, requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { feedToDto, pollToDto } from '../dto.js';

const addQuery = z.object({ discover: z.boolean().default(false) }).passthrough();

/** /api/v1/feeds: subscribed feeds. Each handler parses, calls one use case, maps the result. */
export function feedsRouter(ctx: ApiDeps): Router {
  const write = requireScope(ctx, 'write');
  // Sources, their health and errors are for readers with a token (they show what private topics follow).
  const read = requireScope(ctx, 'read');
  const r = Router();

  // An admin sees feed URLs as stored; anyone else (a reader, a write-only token) masked.
  const reveal = (req: Request) => isAdmin(ctx, req);

  r.get('/', read, async (req, res) => {
    const unmasked = await reveal(req);
    res.json({ feeds: (await listFeeds(ctx)).map((f) => feedToDto(f, unmasked)) });
  });

  // {"url"} subscribes (the URL's fetch is the first poll); {"url", "discover": true} only lists
  // the feeds a page advertises; {"url", "force": true} subscribes a feed that is down today.
  r.post('/', write, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (addQuery.safeParse(body).data?.discover) {
      const { discover: _discover, ...rest } = body;
      res.json({ feeds: await discoverFeedsAt(ctx, rest) });
      return;
    }
    const added = await addFeed(ctx, body);
    res.status(added.created ? 201 : 200).json({
      feed: feedToDto(added.feed, await reveal(req)),
      created: added.created,
      ...(added.created ? { firstPoll: pollToDto(added.firstPoll) } : {}),
      ...(added.created && added.discoveredFrom ? { discoveredFrom: added.discoveredFrom } : {}),
    });
  });

  r.get('/:id', read, async (req, res) => {
    res.json({ feed: feedToDto(await getFeed(ctx, req.params.id), await reveal(req)) });
  });

  r.patch('/:id', write, async (req, res) => {
    res.json({ feed: feedToDto(await updateFeed(ctx, req.params.id, req.body), await reveal(req)) });
  });

  r.delete('/:id', write, async (req, res) => {
    await removeFeed(ctx, req.params.id);
    res.status(204).end();
  });

  r.post('/:id/refresh', write, async (req, res) => {
    res.status(202).json({ feed: feedToDto(await refreshFeed(ctx, req.params.id), await reveal(req)) });
  });

  return r;
}
