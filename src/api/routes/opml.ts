import express, { Router } from 'express';
import { exportOpml, importOpml, importProgress } from '../../app/opml.js';
import { isAdmin, requireScope } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { requireBodyType } from '../http-error.js';

const OPML_TYPES = ['text/x-opml', 'application/xml', 'text/xml', 'text/plain', 'application/octet-stream'];
const opmlBody = express.text({ type: OPML_TYPES, limit: '5mb' });

/**
 * POST /api/v1/opml imports an OPML file (the body) and answers 201 with the import's progress
 * resource (GET /api/v1/opml/imports/:id); GET /api/v1/opml exports every feed as OPML 2.0.
 */
export function opmlRouter(ctx: ApiDeps): Router {
  const r = Router();
  // The sources say what the team follows (private topics' too): readers with a token only.
  const read = requireScope(ctx, 'read');

  r.get('/', read, async (req, res) => {
    res
      .type('text/x-opml; charset=utf-8')
      .attachment('topicwire.opml')
      .send(await exportOpml(ctx, { maskSecrets: !(await isAdmin(ctx, req)) }));
  });

  r.post(
    '/',
    requireScope(ctx, 'write'),
    requireBodyType(OPML_TYPES, 'an OPML file (Content-Type: text/x-opml or application/xml)'),
    opmlBody,
    async (req, res) => {
      const result = await importOpml(ctx, typeof req.body === 'string' ? req.body : '');
      const progress = `/api/v1/opml/imports/${result.id}`;
      res
        .status(201)
        .location(progress)
        .json({ ...result, progress });
    },
  );

  r.get('/imports/:id', read, async (req, res) => {
    res.json({ import: await importProgress(ctx, req.params.id) });
  });

  return r;
}
