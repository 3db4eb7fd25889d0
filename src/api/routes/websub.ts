import express, { Router } from 'express';
import { requestSubscription } from '../../app/websub.js';
import { viewerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { requireBodyType } from '../http-error.js';

/**
 * POST /websub: a WebSub subscription request (form-encoded, WebSub §5.1), for one of our topic
 * feeds. Answered 202 at once; the intent is then verified with the callback (websub-verify job)
 * and only a callback that echoes the challenge is subscribed, or unsubscribed.
 */
export function websubRouter(ctx: ApiDeps): Router {
  const r = Router();
  r.post(
    '/',
    requireBodyType(['application/x-www-form-urlencoded'], 'a form (Content-Type: application/x-www-form-urlencoded)'),
    express.urlencoded({ extended: false, limit: '16kb' }),
    async (req, res) => {
      const { intent, slug } = await requestSubscription(ctx, req.body, await viewerOf(ctx, req));
      res.status(202).json({
        accepted: intent.mode,
        topic: slug,
        callback: intent.callback,
        leaseSeconds: intent.leaseSeconds,
      });
    },
  );
  return r;
}
