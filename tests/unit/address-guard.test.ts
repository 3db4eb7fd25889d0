import { describe, expect, it } from 'vitest';
import { checkUrlAllowed, isAllowedAddress, isPublicAddress } from '../../src/pipeline/fetch/address-guard.js';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    'fc00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    // IPv4-compatible (deprecated ::/96): the socket reaches the embedded IPv4 address.
    '::127.0.0.1',
    '::7f00:1',
    '::10.0.0.1',
    '::93.184.216.34',
    // Outside global unicast (2000::/3): discard, site-local, unassigned.
    '100::1',
    'fec0::1',
    '4000::1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34'])('allows %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('checkUrlAllowed', () => {
  it('refuses schemes other than http(s), and private IP literals unless allowed', () => {
    expect(() => checkUrlAllowed(new URL('file:///etc/passwd'), { allowPrivate: true })).toThrow(/only http and https/);
    expect(() => checkUrlAllowed(new URL('http://[::1]:8080/'), { allowPrivate: false })).toThrow(
      /private or reserved/,
    );
    expect(() => checkUrlAllowed(new URL('http://127.0.0.1/'), { allowPrivate: true })).not.toThrow();
  });

  it.each(['http://[::127.0.0.1]/', 'http://[::7f00:1]:8080/feed', 'http://[::a9fe:a9fe]/latest/meta-data/'])(
    'refuses the IPv4-compatible IPv6 literal %s',
    (url) => {
      expect(() => checkUrlAllowed(new URL(url), { allowPrivate: false })).toThrow(/private or reserved/);
    },
  );
});

describe('isAllowedAddress with an allow list', () => {
  const policy = { allowPrivate: false, allowList: ['192.168.1.0/24', '10.0.0.5', 'fd00::/8'] };
  it.each([
    ['192.168.1.20', true],
    ['::ffff:192.168.1.20', true],
    ['10.0.0.5', true],
    ['fd12::1', true],
    ['93.184.216.34', true],
    ['192.168.2.1', false],
    ['10.0.0.6', false],
    ['127.0.0.1', false],
    ['169.254.169.254', false],
  ])('%s → %s', (address, allowed) => {
    expect(isAllowedAddress(address, policy)).toBe(allowed);
  });
});
