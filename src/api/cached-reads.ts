import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import fresh from 'fresh';
import { DataVersion } from '../app/data-version.js';
import type { ApiDeps } from './deps.js';

/** A response ready to send again: its bytes and the headers that describe them. */
export interface ReadyResponse {
  body: Buffer;
  headers: Record<string, string>;
}

/**
 * Responses of public reads (a topic's page, its feeds, a search) kept in memory and served again
 * while the stored data has not changed: each is keyed by its request and the database's data
 * version, so a cached answer is never older than one built now. Readers polling the same topic
 * then cost a lookup of the version, not a query and a rendering each. Bounded in bytes (least
 * recently used first out); API_CACHE_MB=0 turns it off. A key must hold everything the response
 * depends on besides the stored data (the URL; the base URL for feeds; the caller's rights once
 * there are private topics).
 */
export class CachedReads {
  private readonly entries = new Map<string, { version: string; response: ReadyResponse }>();
  private readonly building = new Map<string, Promise<ReadyResponse>>();
  private readonly versions: DataVersion;
  private bytes = 0;

  constructor(
    deps: Pick<ApiDeps, 'db'>,
    private readonly maxBytes: number,
  ) {
    this.versions = new DataVersion(deps);
  }

  async get(key: string, build: () => Promise<ReadyResponse>): Promise<ReadyResponse> {
    if (this.maxBytes === 0) return build();
    const version = await this.versions.current();
    const hit = this.entries.get(key);
    if (hit?.version === version) {
      // Most recently used goes last: eviction takes from the front.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.response;
    }
    // Requests for the same answer at once build it once.
    const id = `${version}\n${key}`;
    let pending = this.building.get(id);
    if (!pending) {
      pending = build().then((response) => {
        this.keep(key, version, response);
        return response;
      });
      const forget = () => this.building.delete(id);
      pending.then(forget, forget);
      this.building.set(id, pending);
    }
    return pending;
  }

  private keep(key: string, version: string, response: ReadyResponse): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.response.body.length;
      this.entries.delete(key);
    }
    if (response.body.length > this.maxBytes / 8) return;
    this.entries.set(key, { version, response });
    this.bytes += response.body.length;
    for (const [k, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= entry.response.body.length;
    }
  }
}

/** A JSON body with the type and a strong ETag of its bytes (Express then answers If-None-Match with 304). */
export function jsonResponse(value: unknown): ReadyResponse {
  const body = Buffer.from(JSON.stringify(value));
  return { body, headers: { 'Content-Type': 'application/json; charset=utf-8', ETag: etagOf(body) } };
}

export function etagOf(body: Buffer | string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * Sends a ready response, or 304 when the request's validators match it. As the origin server we
 * answer a matching validator even under "Cache-Control: no-cache", which fetch() adds to every
 * conditional request (Express's req.fresh would say stale).
 */
export function sendReady(req: Request, res: Response, response: ReadyResponse): void {
  const conditional = {
    'if-none-match': req.headers['if-none-match'],
    'if-modified-since': req.headers['if-modified-since'],
  };
  const validators = { etag: response.headers.ETag, 'last-modified': response.headers['Last-Modified'] };
  if (fresh(conditional, validators)) {
    // RFC 9110 §15.4.5: a 304 carries the validators and caching headers, not the ones describing
    // a body (its client keeps those of the response it stored): a tenth of the bytes.
    for (const name of NOT_MODIFIED_HEADERS) {
      const value = response.headers[name];
      if (value !== undefined) res.setHeader(name, value);
    }
    res.status(304).end();
  } else {
    res.set(response.headers);
    res.send(response.body);
  }
}

const NOT_MODIFIED_HEADERS = ['ETag', 'Last-Modified', 'Cache-Control', 'Vary', 'Expires', 'Content-Location'];
