import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { Router, type RequestHandler } from 'express';
import { allows } from '../app/tokens.js';
import type { Queues } from '../queue/queues.js';
import { authenticateGuarded, principalOf, sessionCookie } from './auth.js';
import type { ApiDeps } from './deps.js';

export const BOARD_PATH = '/admin/queues';

const signInPage = (message = '') => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>topicwire queues: sign in</title></head>
<body><main><h1>Queues</h1><p>Sign in with an admin token (<code>npm run cli -- tokens create &lt;name&gt; --scopes admin</code>).</p>
${message ? `<p role="alert">${message}</p>` : ''}
<form method="post" action="/admin/sign-in"><label>Admin token <input name="token" type="password" autocomplete="off" required></label>
<button type="submit">Sign in</button></form></main></body></html>`;

/**
 * The queue dashboard (bull-board) at /admin/queues, for admins only: a request with an admin
 * bearer token, or a browser signed in (the web app's sign-in, or the form this shows: the session
 * cookie of src/api/auth.ts; POST /admin/sign-out forgets it). Its changes (retry, clean, pause)
 * are refused from other origins.
 */
export function queueBoardRouter(deps: ApiDeps, queues: Queues): Router {
  const board = new ExpressAdapter();
  board.setBasePath(BOARD_PATH);
  createBullBoard({ queues: Object.values(queues).map((q) => new BullMQAdapter(q)), serverAdapter: board });

  const r = Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  r.post('/admin/sign-in', form, async (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    // Guesses here spend the same per-address budget as wrong bearer tokens.
    const principal = await authenticateGuarded(deps, req, token);
    if (!principal || !allows(principal, 'admin')) {
      res.status(401).type('html').send(signInPage('That is not an admin token (unknown, revoked or expired).'));
      return;
    }
    res.setHeader('Set-Cookie', sessionCookie(req, token));
    res.redirect(303, BOARD_PATH);
  });

  r.post('/admin/sign-out', (req, res) => {
    res.setHeader('Set-Cookie', sessionCookie(req, null));
    res.redirect(303, BOARD_PATH);
  });

  const adminOnly: RequestHandler = async (req, res, next) => {
    const principal = await principalOf(deps, req);
    if (principal && allows(principal, 'admin')) {
      const origin = req.get('origin');
      const changes = req.method !== 'GET' && req.method !== 'HEAD';
      if (changes && origin && origin !== `${req.protocol}://${req.get('host')}`) {
        res
          .status(403)
          .json({ error: { code: 'forbidden', message: 'changes to the queues come from this site only' } });
        return;
      }
      next();
      return;
    }
    if (!principal && req.accepts(['html', 'json']) === 'html' && req.method === 'GET') {
      res.status(401).type('html').send(signInPage());
      return;
    }
    res.status(principal ? 403 : 401).json({
      error: {
        code: principal ? 'forbidden' : 'unauthorized',
        message: 'the queue dashboard needs an admin token (a bearer header, or sign in at /admin/queues)',
      },
    });
  };
  r.use(BOARD_PATH, adminOnly, board.getRouter() as RequestHandler);
  return r;
}
