import dns from 'node:dns';
import ipaddr from 'ipaddr.js';
import { FeedError } from '../types.js';

// IPv6's global unicast space: everything outside it (IPv4-compatible ::/96, which ipaddr.js calls
// unicast and sockets route to the embedded IPv4 address; site-local; unassigned) is refused.
const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3];

/**
 * Whether an address may be fetched: only global unicast. Loopback, private, link-local (and the
 * cloud metadata address), CGNAT, multicast, broadcast, unique-local, and the IPv6 forms that
 * embed an IPv4 address (mapped, IPv4-compatible, NAT64, 6to4, Teredo) are refused, ranges as
 * ipaddr.js knows them; in IPv6 only 2000::/3 is considered at all.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    // ipaddr.js reads "::1.2.3.4" (IPv4-compatible) as mapped; URLs and sockets do not.
    if (address.includes('.') && !/^(0{0,4}:){0,5}:?ffff:/i.test(address)) return false;
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    else if (!v6.match(GLOBAL_UNICAST_V6)) return false;
  }
  return parsed.range() === 'unicast';
}

/**
 * What may be fetched: public addresses always; every address when `allowPrivate`; and the
 * private ranges listed in `allowList` (CIDRs, e.g. a LAN of your own feeds), and no others.
 */
export interface AddressPolicy {
  allowPrivate: boolean;
  allowList?: string[];
}

/** Parses CIDRs once; an invalid one is an error at start, not a silent hole. */
export function parseAllowList(cidrs: string[]): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return cidrs.map((c) => {
    try {
      return ipaddr.parseCIDR(c.includes('/') ? c : `${c}/${c.includes(':') ? 128 : 32}`);
    } catch {
      throw new Error(`not an address range: ${c}`);
    }
  });
}

export function isAllowedAddress(address: string, policy: AddressPolicy): boolean {
  if (policy.allowPrivate || isPublicAddress(address)) return true;
  if (!policy.allowList?.length || !ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parseAllowList(policy.allowList).some(
    ([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits),
  );
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for sockets that refuses names resolving to non-public addresses. The socket then
 * connects to exactly the address checked here, so a second DNS answer cannot slip past.
 */
export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, '');
      const refused = addresses.find((a) => !isAllowedAddress(a.address, policy));
      if (refused) {
        return callback(blockedAddress(hostname, refused.address) as NodeJS.ErrnoException, '');
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}

export function blockedAddress(hostname: string, address: string): FeedError {
  return new FeedError(
    'blocked_address',
    `refused: ${hostname} resolves to ${address}, a private or reserved address (FETCH_ALLOW_PRIVATE or FETCH_ALLOW_ADDRESSES allow it)`,
  );
}

/** Checks a URL before any connection: scheme, and the host when it is an IP literal (sockets skip lookup for those). */
export function checkUrlAllowed(url: URL, policy: AddressPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FeedError('blocked_scheme', `refused: only http and https URLs can be fetched, not ${url.protocol}`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host) && !isAllowedAddress(host, policy)) throw blockedAddress(host, host);
}

/** Checks a URL a user wants to subscribe to, DNS included, before it is stored. */
export async function assertFetchable(url: URL, policy: AddressPolicy): Promise<void> {
  checkUrlAllowed(url, policy);
  if (policy.allowPrivate) return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) return;
  let addresses: dns.LookupAddress[];
  try {
    addresses = await dns.promises.lookup(host, { all: true });
  } catch {
    throw new FeedError('dns_error', `cannot resolve host ${host}`);
  }
  const refused = addresses.find((a) => !isAllowedAddress(a.address, policy));
  if (refused) throw blockedAddress(host, refused.address);
}

/**
 * A URL a user gave (a feed, an OPML entry, a WebSub callback), ready to store and fetch: absolute
 * http(s), fragment dropped (it never reaches the server), allowed by the policy, DNS included.
 * Throws FeedError: "invalid_url", or the refusal's code.
 */
export async function acceptableUrl(text: string, policy: AddressPolicy): Promise<URL> {
  const url = acceptableUrlUnresolved(text, policy);
  await assertFetchable(url, policy);
  return url;
}

/**
 * acceptableUrl without resolving the host name (an IP literal is still checked): for many URLs at
 * once (an OPML import), whose names are resolved, and refused if private, at their first poll:
 * the fetcher checks every connection it makes.
 */
export function acceptableUrlUnresolved(text: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new FeedError('invalid_url', `not an absolute URL: ${text}`);
  }
  url.hash = '';
  checkUrlAllowed(url, policy);
  return url;
}
