import { describe, expect, it } from 'vitest';
import { rememberTrust, type TrustProxy } from '../../src/api/trust-proxy.js';

describe('remembered proxy trust', () => {
  it('when asked again about an address and hop, then it answers as Express does without asking it twice', () => {
    const asked: string[] = [];
    // A rule that depends on the hop as well as the address (a hop count such as TRUST_PROXY=1).
    const express: TrustProxy = (address, hop) => {
      asked.push(`${hop} ${address}`);
      return hop < 1 && (address ?? '').startsWith('127.');
    };
    const trust = rememberTrust(express);
    const questions: [string | undefined, number][] = [
      ['127.0.0.1', 0],
      ['127.0.0.1', 1],
      ['10.0.0.1', 0],
      [undefined, 0],
      ['127.0.0.1', 0],
      ['127.0.0.1', 1],
      ['10.0.0.1', 0],
    ];
    expect(questions.map(([a, h]) => trust(a, h))).toEqual([true, false, false, false, true, false, false]);
    expect(asked).toEqual(['0 127.0.0.1', '1 127.0.0.1', '0 10.0.0.1', '0 undefined']);
  });

  it('when more peers come than it remembers, then it still answers right', () => {
    const trust = rememberTrust((address) => address === '192.168.0.1');
    for (let k = 0; k < 25_000; k++) trust(`10.${k >> 16}.${(k >> 8) & 255}.${k & 255}`, 0);
    expect(trust('192.168.0.1', 0)).toBe(true);
    expect(trust('10.0.0.7', 0)).toBe(false);
  });
});
