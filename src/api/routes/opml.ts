import express, { Router } from 'express';
import { exportOpml, importOpml } from '../../admin/opml-transfer.js';
import { FeedError } from '../../pipeline/types.js';
import { enqueue } from '../../queue/queues.js';
import { requireToken } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-error.js';

const opmlBody = express.text({
  type: ['text/x-opml', 'application/xml', 'text/xml', 'text/plain', 'application/octet-stream'],
  limit: '5mb',
});

/** POST /api/v1/opml imports an OPML file (the body); GET /api/v1/opml exports every feed as OPML 2.0. */
export function opmlRouter({ db, queues, config }: ApiDeps): Router {
  const r = Router();

  r.get('/', async (_req, res) => {
    res
      .type('text/x-opml; charset=utf-8')
      .attachment('topicwire.opml')
      .send(await exportOpml(db));
  });

  r.post('/', requireToken(config.API_TOKEN), opmlBody, async (req, res) => {
    if (typeof req.body !== 'string' || !req.body.trim()) {
      throw new HttpError(
        400,
        'invalid_request',
        'send the OPML file as the request body (Content-Type: text/x-opml or application/xml)',
      );
    }
    try {
      res.json(
        await importOpml(db, config, req.body, (feedId) =>
          enqueue(queues, 'refresh-feed', { feedId }, `feed:${feedId}`),
        ),
      );
    } catch (err) {
      if (err instanceof FeedError) throw new HttpError(400, 'invalid_opml', err.message);
      throw err;
    }
  });

  return r;
}
