/**
 * Dates as feeds really write them → ISO-8601 UTC, or null. Reads W3C-DTF/ISO-8601 (also with a
 * space, without separators, or truncated to a month or year), RFC 822/2822 with two- or
 * four-digit years, named zones (GMT, EST, IST, CEST …), military letters and asctime. A date
 * without a zone is UTC. An impossible date (30 February, hour 25) is null, never a guess.
 */
export function parseDate(input: string | null | undefined): string | null {
  const text = (input ?? '').trim().replace(/\s+/g, ' ');
  if (!text) return null;
  const parts = readIso(text) ?? readRfc822(text) ?? readAsctime(text);
  return parts ? toIso(parts) : null;
}

interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millis: number;
  offsetMinutes: number;
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  sept: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
};

// Offsets in hours. IST is India's (+5:30): the news feeds that write it are Indian.
const ZONES: Record<string, number> = {
  ut: 0,
  utc: 0,
  gmt: 0,
  z: 0,
  wet: 0,
  bst: 1,
  west: 1,
  cet: 1,
  met: 1,
  cest: 2,
  mest: 2,
  eet: 2,
  eest: 3,
  msk: 3,
  ist: 5.5,
  pkt: 5,
  ict: 7,
  wib: 7,
  sgt: 8,
  hkt: 8,
  awst: 8,
  jst: 9,
  kst: 9,
  acst: 9.5,
  aest: 10,
  aedt: 11,
  nzst: 12,
  nzdt: 13,
  hst: -10,
  akst: -9,
  akdt: -8,
  pst: -8,
  pdt: -7,
  mst: -7,
  mdt: -6,
  cst: -6,
  cdt: -5,
  est: -5,
  edt: -4,
  ast: -4,
  adt: -3,
  nst: -3.5,
  ndt: -2.5,
  brt: -3,
};

function militaryOffset(letter: string): number | null {
  const c = letter.toLowerCase();
  if (c === 'z') return 0;
  if (c >= 'a' && c <= 'i') return c.charCodeAt(0) - 96;
  if (c >= 'k' && c <= 'm') return c.charCodeAt(0) - 97;
  if (c >= 'n' && c <= 'y') return -(c.charCodeAt(0) - 109);
  return null;
}

/** "+0530", "-05:00", "+5", "GMT+2", "EST", "Z" → minutes east of UTC; null when unknown. */
function zoneOffset(zone: string | undefined): number | null {
  if (!zone) return 0;
  const z = zone.trim();
  const numeric = /^(?:(?:GMT|UTC|UT)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(z);
  if (numeric) {
    const minutes = Number(numeric[2]) * 60 + Number(numeric[3] ?? 0);
    if (Number(numeric[2]) > 14 || Number(numeric[3] ?? 0) > 59) return null;
    return numeric[1] === '-' ? -minutes : minutes;
  }
  const named = ZONES[z.toLowerCase()];
  if (named !== undefined) return named * 60;
  if (z.length === 1) {
    const m = militaryOffset(z);
    return m === null ? null : m * 60;
  }
  return null;
}

const ISO =
  /^(\d{4})(?:-?(\d{2})(?:-?(\d{2}))?)?(?:(?:T| )(\d{1,2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?)? ?(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?$/i;

function readIso(text: string): DateParts | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const offset = zoneOffset(m[8]);
  if (offset === null) return null;
  return {
    year: Number(m[1]),
    month: Number(m[2] ?? 1),
    day: Number(m[3] ?? 1),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millis: m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0,
    offsetMinutes: offset,
  };
}

const RFC822 =
  /^(?:[A-Za-z]+\.?(?:, ?| ))?(\d{1,2})(?:st|nd|rd|th)?[ -]([A-Za-z]+)\.?,?[ -](\d{2,4})(?:,? (?:at )?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)? ?(?:([AP]M) ?)?((?:GMT|UTC|UT)?[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5})?(?: \([^)]*\))?$/i;
const RFC822_MONTH_FIRST =
  /^(?:[A-Za-z]+\.?(?:, ?| ))?([A-Za-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})(?:,? (?:at )?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)? ?(?:([AP]M) ?)?((?:GMT|UTC|UT)?[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5})?$/i;

function readRfc822(text: string): DateParts | null {
  let m = RFC822.exec(text);
  let day: string | undefined, monthName: string | undefined;
  if (m) {
    day = m[1];
    monthName = m[2];
  } else {
    m = RFC822_MONTH_FIRST.exec(text);
    if (!m) return null;
    monthName = m[1];
    day = m[2];
  }
  const month = MONTHS[(monthName ?? '').toLowerCase()];
  const offset = zoneOffset(m[9]);
  if (!month || offset === null) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  let hour = Number(m[4] ?? 0);
  const meridiem = m[8]?.toUpperCase();
  if (meridiem === 'PM' && hour < 12) hour += 12;
  if (meridiem === 'AM' && hour === 12) hour = 0;
  return {
    year,
    month,
    day: Number(day),
    hour,
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millis: m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0,
    offsetMinutes: offset,
  };
}

// asctime and its Unix date(1) cousin: "Sun Jan  4 16:29:06 2004", "Sun Jan 4 16:29:06 PST 2004".
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?: ([A-Za-z]{1,5}|[+-]\d{4}))? (\d{4})$/;

function readAsctime(text: string): DateParts | null {
  const m = ASCTIME.exec(text);
  if (!m) return null;
  const month = MONTHS[m[1]!.toLowerCase()];
  const offset = zoneOffset(m[6]);
  if (!month || offset === null) return null;
  return {
    year: Number(m[7]),
    month,
    day: Number(m[2]),
    hour: Number(m[3]),
    minute: Number(m[4]),
    second: Number(m[5]),
    millis: 0,
    offsetMinutes: offset,
  };
}

function toIso(p: DateParts): string | null {
  if (p.year < 1000 || p.month < 1 || p.month > 12 || p.day < 1) return null;
  const daysInMonth = new Date(Date.UTC(p.year, p.month, 0)).getUTCDate();
  if (p.day > daysInMonth || p.hour > 24 || p.minute > 59 || p.second > 60) return null;
  if (p.hour === 24 && (p.minute > 0 || p.second > 0)) return null;
  const second = Math.min(p.second, 59); // a leap second is read as the second before it
  const ms = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, second, p.millis) - p.offsetMinutes * 60_000;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
