import { acceptableUrl, type AddressPolicy } from '../pipeline/address-guard.js';
import { FeedError } from '../pipeline/types.js';
import { HttpError } from './http-error.js';

/** acceptableUrl, its refusals as a 400 that names why (not a URL; scheme, private or reserved address). */
export async function acceptUrl(text: string, policy: AddressPolicy): Promise<URL> {
  try {
    return await acceptableUrl(text, policy);
  } catch (err) {
    if (err instanceof FeedError)
      throw new HttpError(400, err.code === 'invalid_url' ? 'invalid_url' : 'url_refused', err.message);
    throw err;
  }
}
