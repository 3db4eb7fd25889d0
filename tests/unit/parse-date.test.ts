import { describe, expect, it } from 'vitest';
import { parseDate } from '../../src/pipeline/normalize/parse-date.js';

describe('parseDate', () => {
  it.each([
    ['RFC 822 with GMT', 'Tue, 12 Nov 2024 04:12:00 GMT', '2024-11-12T04:12:00Z'],
    ['RFC 822 with a numeric zone', 'Tue, 12 Nov 2024 09:42:00 +0530', '2024-11-12T04:12:00Z'],
    ['RFC 822 without the weekday', '12 Nov 2024 04:12 GMT', '2024-11-12T04:12:00Z'],
    ['RFC 822 with a two-digit year', 'Wed, 31 Dec 03 10:14:55 EST', '2003-12-31T15:14:55Z'],
    ['RFC 822 with IST, India', 'Tue, 12 Nov 2024 09:42:00 IST', '2024-11-12T04:12:00Z'],
    ['RFC 822 with a military zone', 'Tue, 12 Nov 2024 04:12:00 Z', '2024-11-12T04:12:00Z'],
    ['RFC 822 with a full month name', 'Tuesday, 12 November 2024 04:12:00 +0000', '2024-11-12T04:12:00Z'],
    ['RFC 822 with a zone and a comment', 'Tue, 12 Nov 2024 04:12:00 +0000 (UTC)', '2024-11-12T04:12:00Z'],
    ['month first', 'November 12, 2024 4:12 PM', '2024-11-12T16:12:00Z'],
    ['W3C-DTF', '2024-11-12T09:42:00+05:30', '2024-11-12T04:12:00Z'],
    ['ISO with fractions', '2024-11-12T04:12:00.123Z', '2024-11-12T04:12:00.123Z'],
    ['ISO with a space and no zone (UTC)', '2024-11-12 04:12:00', '2024-11-12T04:12:00Z'],
    ['a date alone', '2024-11-12', '2024-11-12T00:00:00Z'],
    ['a month alone', '2024-11', '2024-11-01T00:00:00Z'],
    ['compact ISO', '20241112T041200Z', '2024-11-12T04:12:00Z'],
    ['asctime', 'Sun Jan  4 16:29:06 2004', '2004-01-04T16:29:06Z'],
    ['Unix date with a zone', 'Sun Jan 4 16:29:06 PST 2004', '2004-01-05T00:29:06Z'],
    ['a leap second', '2016-12-31T23:59:60Z', '2016-12-31T23:59:59Z'],
  ])('when the date is %s, then it is read as UTC', (_name, input, expected) => {
    expect(parseDate(input)).toBe(expected);
  });

  it.each([
    ['30 February', '2024-02-30T00:00:00Z'],
    ['hour 25', 'Tue, 12 Nov 2024 25:00:00 GMT'],
    ['an unknown zone', 'Tue, 12 Nov 2024 04:00:00 XYZ'],
    ['an unknown month', '12 Foo 2024'],
    ['prose', 'yesterday afternoon'],
    ['nothing', ''],
    ['year zero', '0000-01-01'],
  ])('when the date is %s, then it is null, not a guess', (_name, input) => {
    expect(parseDate(input)).toBeNull();
  });
});
