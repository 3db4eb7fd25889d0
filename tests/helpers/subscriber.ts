import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A WebSub subscriber on 127.0.0.1: echoes challenges (unless told not to), records what is pushed. */
export class Subscriber {
  readonly verifications: URLSearchParams[] = [];
  readonly pushes: { path: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  echo = true;
  /** Statuses to answer the next pushes with, in order; then 204. */
  pushStatuses: number[] = [];
  private readonly server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (req.method === 'GET') {
      this.verifications.push(url.searchParams);
      res
        .writeHead(this.echo ? 200 : 404, { 'content-type': 'text/plain' })
        .end(this.echo ? url.searchParams.get('hub.challenge') : 'no');
      return;
    }
    const chunks: Buffer[] = [];
    req
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => {
        this.pushes.push({ path: url.pathname, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(this.pushStatuses.shift() ?? 204).end();
      });
  });
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }
  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }
  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
