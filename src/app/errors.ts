import type { Config } from '../config.js';
import { addressPolicy } from '../fetch-options.js';
import { acceptableUrl } from '../pipeline/fetch/address-guard.js';
import { isFeedError, type FeedError, type FeedErrorCode } from '../pipeline/feed-error.js';

/**
 * Why a use case refused: a closed set of codes that the API maps to HTTP statuses and the CLI to
 * exit codes, so that both say the same thing. A feed that cannot be used is refused with the
 * feed error's own code (not_a_feed, dns_error, http_not_found, …).
 */
export type AppErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'invalid_rule'
  /** A read that would cost more than the service gives one request (a search past its time limit). */
  | 'too_costly'
  | FeedErrorCode;

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** Machine-readable specifics: the fields that are wrong, a rule error's position. */
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** A URL that does not lead to a usable feed, refused with its feed error's code. */
export function refusedFeed(url: string, err: FeedError): AppError {
  return new AppError(err.code, `${url}: ${err.message}`);
}

/**
 * A URL someone gave (a feed, a page, a WebSub callback), as we would store and fetch it, or a
 * refusal naming why (invalid_url, blocked_scheme, blocked_address, dns_error).
 */
export async function acceptUrl(config: Config, text: string): Promise<string> {
  try {
    return (await acceptableUrl(text, addressPolicy(config))).href;
  } catch (err) {
    if (isFeedError(err)) throw refusedFeed(text, err);
    throw err;
  }
}

/**
 * Whether a failure means our database is away for the moment (the API answers 503, not 500):
 * the repositories' judgement, offered to the adapters, which do not reach the database layer.
 */
export { isDatabaseUnavailable } from '../db/database.js';
