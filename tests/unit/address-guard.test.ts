import { describe, expect, it } from 'vitest';
import { checkUrlAllowed, isPublicAddress } from '../../src/pipeline/address-guard.js';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
    '255.255.255.255', '::1', 'fc00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::a00:1', 'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:93.184.216.34'])('allows %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('checkUrlAllowed', () => {
  it('refuses schemes other than http(s), and private IP literals unless allowed', () => {
    expect(() => checkUrlAllowed(new URL('file:///etc/passwd'), true)).toThrow(/only http and https/);
    expect(() => checkUrlAllowed(new URL('http://[::1]:8080/'), false)).toThrow(/private or reserved/);
    expect(() => checkUrlAllowed(new URL('http://127.0.0.1/'), true)).not.toThrow();
  });
});
