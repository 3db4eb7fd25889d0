import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';

/** The repository's root: the nearest folder above this module that holds package.json (from src/ and dist/ alike). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Where `npm run build` puts the web app (Vite's output of web/). */
export const WEB_DIST = path.join(repoRoot(), 'dist', 'web');

// The web app's own addresses (web/src/routes.ts): each answers its one page, which then routes.
const PAGES = /^\/(|topic\/[a-z0-9-]{1,63}(\/edit)?|new-topic|sources|search|sign-in)$/;

/** Whether a request is for the web app's page or files (not the API): they spend no request budget. */
export function isWebAppRequest(path: string): boolean {
  return PAGES.test(path) || path.startsWith('/assets/');
}

/**
 * The web app (issue 19): its built files under /assets/ (named by content: cached for a year),
 * and its page at each of its addresses (never cached, so a deploy shows at once). Without a
 * build (dist/web), the pages answer 503 saying how to make one.
 */
export function webApp(): RequestHandler[] {
  const index = path.join(WEB_DIST, 'index.html');
  let page: Buffer | null = null;
  // Only under /assets/ (the check below): index.html itself is the pages' answer.
  const assets = express.static(WEB_DIST, { immutable: true, maxAge: '365d', index: false });
  return [
    (req, res, next) => (req.path.startsWith('/assets/') ? assets(req, res, next) : next()),
    (req, res, next) => {
      if ((req.method !== 'GET' && req.method !== 'HEAD') || !PAGES.test(req.path)) return next();
      page ??= existsSync(index) ? readFileSync(index) : null;
      if (!page) {
        res.status(503).json({
          error: { code: 'unavailable', message: 'the web app is not built: run `npm run build` (npm start does)' },
        });
        return;
      }
      res.type('html').set('Cache-Control', 'no-cache').send(page);
    },
  ];
}
