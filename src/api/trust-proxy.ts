/** Express's compiled "trust proxy" setting: whether the hop-th address of a request is a trusted proxy. */
export type TrustProxy = (address: string | undefined, hop: number) => boolean;

// Past this many distinct peers the answers are forgotten and learnt again (a bound, not a cache policy).
const MOST_REMEMBERED = 10_000;

/**
 * The same answers, remembered by address: Express asks each time a request's protocol, address
 * or host is read, and parses the address anew every time (~4% of a cached feed read's CPU). The
 * answer depends on the address and the hop only, never on the request.
 */
export function rememberTrust(trust: TrustProxy): TrustProxy {
  const known = new Map<string, boolean>();
  return (address, hop) => {
    if (address === undefined) return trust(address, hop);
    const key = hop === 0 ? address : `${hop} ${address}`;
    let answer = known.get(key);
    if (answer === undefined) {
      answer = trust(address, hop);
      if (known.size >= MOST_REMEMBERED) known.clear();
      known.set(key, answer);
    }
    return answer;
  };
}
