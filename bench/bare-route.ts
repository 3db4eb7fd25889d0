import { readFileSync } from 'node:fs';
import express from 'express';

/**
 * The baseline of `npm run bench -- api`: a bare Express app in its own process that answers each
 * route with a body fixed in advance (the same bytes and type our API sent), or an empty 304.
 * Argument: a JSON file of [{path, status, type, bodyFile}]; prints its port when listening.
 */
const routes = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  path: string;
  status: number;
  type: string;
  bodyFile: string;
}[];
const app = express();
for (const route of routes) {
  const body = readFileSync(route.bodyFile);
  app.get(route.path, (_req, res) => {
    if (route.status === 304) res.status(304).end();
    else res.type(route.type).send(body);
  });
}
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
