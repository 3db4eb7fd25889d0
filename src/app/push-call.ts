import { fetchOptions } from '../fetch-options.js';
import { isFeedError } from '../pipeline/feed-error.js';
import { callCallback } from '../websub/callback.js';
import type { AppContext } from './context.js';

/** A push that must not be tried again: the address is refused (private, malformed), not just away. */
export class FinalDeliveryError extends Error {}

/**
 * One request to a subscriber's address (a WebSub callback, a webhook), under the fetcher's
 * address rules and without following redirects; a refusal is final, network trouble is retried.
 */
export async function callOnce(ctx: AppContext, url: string, req: Parameters<typeof callCallback>[1]) {
  try {
    return await callCallback(url, req, fetchOptions(ctx.config));
  } catch (err) {
    if (isFeedError(err) && !err.retryable) throw new FinalDeliveryError(err.message);
    throw err;
  }
}
