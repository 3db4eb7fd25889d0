import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  body?: string | Buffer;
  contentType?: string;
  status?: number;
  headers?: Record<string, string>;
  /** Answer 304 when the request's If-None-Match equals this. */
  etag?: string;
  /** Wait this long before answering (a server that hangs). */
  delayMs?: number;
}

export interface RecordedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
}

/** A local HTTP server on 127.0.0.1 whose routes tests change as they go; it records every request. */
export class FeedServer {
  readonly requests: RecordedRequest[] = [];
  /** Requests being answered right now, and the most there ever were at once. */
  active = 0;
  maxActive = 0;
  private readonly routes = new Map<string, Route>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  url(path: string): string {
    return this.origin + path;
  }

  set(path: string, route: Route): void {
    this.routes.set(path, route);
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    this.requests.push({ path, headers: req.headers });
    const route = this.routes.get(path);
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    res.once('close', () => this.active--);
    const respond = () => {
      if (route.etag && req.headers['if-none-match'] === route.etag) {
        res.writeHead(304, { etag: route.etag }).end();
        return;
      }
      res.writeHead(route.status ?? 200, {
        'content-type': route.contentType ?? 'application/rss+xml; charset=utf-8',
        ...(route.etag ? { etag: route.etag } : {}),
        ...route.headers,
      });
      res.end(route.body ?? '');
    };
    if (route.delayMs) setTimeout(respond, route.delayMs);
    else respond();
  }
}
