import type { Config } from './config.js';
import type { AddressPolicy } from './pipeline/fetch/address-guard.js';
import type { FetchOptions } from './pipeline/fetch/fetch-feed.js';

/** Which addresses feeds may be fetched from (docs/fetching.md: private ones only when allowed). */
export function addressPolicy(config: Config): AddressPolicy {
  return { allowPrivate: config.FETCH_ALLOW_PRIVATE, allowList: config.FETCH_ALLOW_ADDRESSES };
}

function userAgent(config: Config): string {
  return `topicwire/0.1 (+${config.PUBLIC_URL ?? 'self-hosted feed aggregator'})`;
}

/** The fetcher's limits and identity, from the configuration (every fetch uses these). */
export function fetchOptions(config: Config): FetchOptions {
  return {
    timeoutMs: config.FETCH_TIMEOUT_MS,
    connectTimeoutMs: config.FETCH_CONNECT_TIMEOUT_MS,
    maxBytes: config.FETCH_MAX_BYTES,
    maxRedirects: config.FETCH_MAX_REDIRECTS,
    addresses: addressPolicy(config),
    userAgent: userAgent(config),
  };
}
