/*
 * The API as the pages use it: the same /api/v1 endpoints a script calls (docs/openapi.yaml),
 * with the session cookie (signed in) and the X-Topicwire-Client header that lets the cookie
 * count (src/api/auth.ts).
 */

export interface Session {
  name: string;
  scopes: ('read' | 'write' | 'admin')[];
}

export interface MatchedTerm {
  term: string;
  fields: string[];
}

export interface Source {
  id: number;
  feedId: number;
  feedTitle: string;
  url: string;
  title: string;
  language: string;
}

export interface Item {
  id: number;
  feedId: number;
  feedTitle: string;
  storyId: number;
  url: string;
  title: string;
  summary: string;
  contentHtml: string;
  contentText: string;
  author: string;
  language: string;
  published: string | null;
  fetchedAt: string;
  topics: { slug: string; terms: MatchedTerm[] }[];
  sources: Source[];
}

export interface Topic {
  slug: string;
  name: string;
  rule: string;
  visibility: 'public' | 'private';
  feedKey?: string;
  version: number;
  retag: { status: 'pending' | 'running' | 'done'; items: number; total: number | null };
  stats?: { today: number; week: number; latest: { title: string; url: string; at: string } | null };
}

export interface Feed {
  id: number;
  url: string;
  siteUrl: string;
  title: string;
  status: 'new' | 'ok' | 'failing' | 'disabled';
  preferred: boolean;
  nextPollAt: string | null;
  lastPolledAt: string | null;
  lastError: string | null;
  lastErrorCode: string | null;
  errorCount: number;
  disabledReason: string | null;
}

export interface ItemPage {
  items: Item[];
  nextCursor: string | null;
}

/** An answer that is not 2xx: the API's error code, message and details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { position?: number } & Record<string, unknown>,
  ) {
    super(message);
  }
}

export const CLIENT_HEADER = { 'x-topicwire-client': 'web' };

export async function api<T>(method: string, path: string, body?: unknown, type = 'application/json'): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { ...CLIENT_HEADER, ...(body !== undefined ? { 'content-type': type } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => null)) as { error?: { code: string; message: string; details?: never } };
  if (!res.ok) {
    throw new ApiError(
      res.status,
      data?.error?.code ?? 'error',
      data?.error?.message ?? `HTTP ${res.status}`,
      data?.error?.details,
    );
  }
  return data as T;
}

/** A query string from defined values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
