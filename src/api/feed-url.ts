import { assertFetchable, type AddressPolicy } from '../pipeline/address-guard.js';
import { FeedError } from '../pipeline/types.js';
import { HttpError } from './http-error.js';

/** The URL as stored: absolute http(s), host lower-cased, fragment dropped (it never reaches the server). */
export function parseFeedUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpError(400, 'invalid_url', `not an absolute URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HttpError(400, 'url_refused', `only http and https URLs are accepted, not ${parsed.protocol}`);
  }
  parsed.hash = '';
  return parsed;
}

/** A 400 naming why a URL may not be fetched (scheme, private or reserved address). */
export async function refuseUnfetchable(url: URL, policy: AddressPolicy): Promise<void> {
  try {
    await assertFetchable(url, policy);
  } catch (err) {
    if (err instanceof FeedError) throw new HttpError(400, 'url_refused', err.message);
    throw err;
  }
}
