/*
 * The topic matcher's word reader, in AssemblyScript compiled to WebAssembly (`npm run build:wasm`
 * writes src/rules/reader-wasm.ts). What it does and why is told in src/rules/word-index.ts,
 * which builds its tables and calls it once per field; this is the loop that runs once per UTF-16
 * unit of every item, so it lives where V8 runs it without bounds checks and tagged numbers
 * (measured: ~1.5× the same code in JavaScript).
 *
 * The memory is imported: one for every reader of the process (src/rules/reader-memory.ts lays
 * it out), holding the tables every reader shares, the text being read, and each index's own
 * region. An instance per index holds where its tables are. No static data of its own (the
 * build checks it), so that every byte of the memory is the JavaScript side's to lay out.
 */

/** Shared with the JavaScript side, which builds the tables (read from the module's exports). */
export const WORD_BIT: i32 = 1 << 16;
export const SPACELESS_BIT: i32 = 1 << 17;
/** The unit's word must be checked for NFC (isNfcWord). */
export const NFC_BIT: i32 = 1 << 18;
export const OFFSET: i32 = <i32>0x811c9dc5;
export const PRIME: i32 = 0x01000193;
/** Mixed into prefix keys so a prefix and a whole word never share a slot. */
export const PREFIX_KEY: i32 = 0x5bd1e995;
export const FREE: i32 = i32.MIN_VALUE;
export const CACHE: i32 = 1024;
export const GATE: i32 = 3;
export const HEADS: i32 = 64;
/** In the NFC table: the unit's word must be checked (the low 7 bits are its canonical-order rank). */
export const NFC_CHECKED: i32 = 0x80;

const HEADS_MASK: i32 = HEADS - 1;
/** A word with one of these bits needs a second look: -1 (folds only in context) has them all. */
const UNSURE: i32 = NFC_BIT | (1 << 31);

// Shared by every reader (set by init to the same places for all).
let unitAt: usize = 0; // i32 per BMP unit: folded unit | WORD_BIT | SPACELESS_BIT | NFC_BIT, or -1
let nfcAt: usize = 0; // u8 per BMP unit: rank | NFC_CHECKED
let composesAt: usize = 0; // i32 keys (starter << 16 | mark), 0 = empty
let composesMask: i32 = 0;
let doneKeysAt: usize = 0; // the cache of finished keys: CACHE keys, then CACHE stamps
let doneStampsAt: usize = 0;
let headsAt: usize = 0;
let serialAt: usize = 0; // i32: the number of the reading, stamped on the cache's entries

// This index's.
let wholeAt: usize = 0; // bit filter over whole words' hashes
let prefixAt: usize = 0; // bit filter over prefixes' hashes
let filterShift: i32 = 0; // 32 - log2(bits per filter) + 5: a hash's top bits pick the filter's int
let gatesAt: usize = 0;
let gatesMask: i32 = 0;
let slotsAt: usize = 0; // two i32 per slot: key, record offset (in i32) or FREE
let slotsMask: i32 = 0;
let recordsAt: usize = 0;
let fieldsAt: usize = 0; // u8 per term: the fields it was found in
let touchedAt: usize = 0; // i32 per term found, in order
let phraseAt: usize = 0; // i32 per word of the longest phrase: scratch space
let stateAt: usize = 0; // i32: count of touched, field being read, number of the item (for candidates' marks)
let prefixLengths: i32 = 0;

// The matcher's topics, for candidates (set by initTopics).
let topicCount: i32 = 0;
let termStartAt: usize = 0; // i32 per term + 1: where its (topic, group) pairs start
let termPairsAt: usize = 0; // two i32 per pair: the topic, and the bit of the term's required group in it
let fullAt: usize = 0; // i32 per topic: the bits of all its groups
let alwaysAt: usize = 0; // i32 per topic evaluated for every item
let alwaysCount: i32 = 0;
let marksAt: usize = 0; // i32 per topic: the number of the item that last touched it
let gotAt: usize = 0; // i32 per topic: the groups that item had
let outAt: usize = 0; // i32 per topic: the candidates

// One reading's.
let textAt: usize = 0;
let field: i32 = 0;
let serial: i32 = 0;

export function init(
  unit: usize, nfc: usize, composes: usize, composesSize: i32, cache: usize, heads: usize, serialCell: usize,
  whole: usize, prefix: usize, shift: i32, gates: usize, gatesSize: i32, slots: usize, slotsSize: i32, records: usize,
  fields: usize, touched: usize, phrase: usize, state: usize, lengths: i32,
): void {
  unitAt = unit; nfcAt = nfc; composesAt = composes; composesMask = composesSize - 1;
  doneKeysAt = cache; doneStampsAt = cache + (<usize>CACHE << 2); headsAt = heads; serialAt = serialCell;
  wholeAt = whole; prefixAt = prefix; filterShift = shift; gatesAt = gates; gatesMask = gatesSize - 1;
  slotsAt = slots; slotsMask = slotsSize - 1; recordsAt = records;
  fieldsAt = fields; touchedAt = touched; phraseAt = phrase; stateAt = state; prefixLengths = lengths;
}

export function initTopics(
  topics: i32, termStart: usize, termPairs: usize, full: usize, always: usize, alwaysSize: i32, marks: usize, got: usize, out: usize,
): void {
  topicCount = topics; termStartAt = termStart; termPairsAt = termPairs; fullAt = full;
  alwaysAt = always; alwaysCount = alwaysSize; marksAt = marks; gotAt = got; outAt = out;
}

/**
 * The topics worth evaluating for the item read so far: those whose every required group had a
 * term that occurred, and those evaluated always; each once, at outAt, in no order. Returns
 * their number. The state's third int numbers the items (stamped on the marks).
 */
export function candidates(): i32 {
  let stamp = load<i32>(stateAt, 8) + 1;
  if (stamp == 0x7fffffff) {
    stamp = 1;
    memory.fill(marksAt, 0, <usize>topicCount << 2);
  }
  store<i32>(stateAt, stamp, 8);
  let count: i32 = 0;
  for (; count < alwaysCount; count++) store<i32>(outAt + (<usize>count << 2), load<i32>(alwaysAt + (<usize>count << 2)));
  const touched = load<i32>(stateAt);
  for (let j = 0; j < touched; j++) {
    const t = <usize>load<i32>(touchedAt + (<usize>j << 2));
    const end = load<i32>(termStartAt + ((t + 1) << 2));
    for (let k = load<i32>(termStartAt + (t << 2)); k < end; k++) {
      const pair = termPairsAt + (<usize>k << 3);
      const topic = <usize>load<i32>(pair) << 2;
      let got: i32 = 0;
      if (load<i32>(marksAt + topic) == stamp) got = load<i32>(gotAt + topic);
      else store<i32>(marksAt + topic, stamp);
      const full = load<i32>(fullAt + topic);
      if (got == full) continue;
      got |= load<i32>(pair, 4);
      store<i32>(gotAt + topic, got);
      if (got == full) {
        store<i32>(outAt + (<usize>count << 2), <i32>(topic >> 2));
        count++;
      }
    }
  }
  return count;
}

// @ts-ignore: decorator
@inline function unitOf(code: i32): i32 {
  return load<i32>(unitAt + (<usize>code << 2));
}
// @ts-ignore: decorator
@inline function codeAt(i: i32): i32 {
  return <i32>load<u16>(textAt + (<usize>i << 1));
}
// @ts-ignore: decorator
@inline function record(p: i32): i32 {
  return load<i32>(recordsAt + (<usize>p << 2));
}
// @ts-ignore: decorator
@inline function head(i: i32): i32 {
  return load<i32>(headsAt + (<usize>(i & HEADS_MASK) << 2));
}
// @ts-ignore: decorator
@inline function inFilter(filter: usize, shift: i32, h: i32): bool {
  return ((load<i32>(filter + (<usize>(<u32>h >>> shift) << 2)) >>> (h & 31)) & 1) != 0;
}

/**
 * Lists the terms that occur in the n units at `text` and may match in the state's field: 1. Or
 * 0, having forgotten what it listed of this field, when the text is not in NFC or has a unit
 * that folds only in context (the caller then takes the slow path). Unit n must be writable.
 */
export function scan(text: usize, n: i32): i32 {
  textAt = text;
  field = load<i32>(stateAt, 4);
  serial = load<i32>(serialAt) + 1;
  if (serial == 0x7fffffff) {
    serial = 1;
    memory.fill(doneStampsAt, 0, <usize>CACHE << 2);
  }
  store<i32>(serialAt, serial);
  store<u16>(textAt + (<usize>n << 1), 0x20); // a space after the end: the word loop needs no end test
  const lengths = prefixLengths;
  const shortLengths = lengths & ((1 << GATE) - 1);
  const whole = wholeAt;
  const prefix = prefixAt;
  const shift = filterShift;
  const heads = headsAt;
  const units = unitAt;
  let i: i32 = 0;
  while (i < n) {
    let u = load<i32>(units + (<usize>load<u16>(text + (<usize>i << 1)) << 2));
    if ((u & WORD_BIT) == 0) {
      i++;
      continue;
    }
    const start = i;
    let h: i32 = OFFSET;
    let seen: i32 = 0; // the bits of the word's units, or-ed
    do {
      h = (h ^ (u & 0xffff)) * PRIME;
      seen |= u;
      store<i32>(heads + (<usize>(i & HEADS_MASK) << 2), h);
      i++;
      u = load<i32>(units + (<usize>load<u16>(text + (<usize>i << 1)) << 2));
    } while ((u & WORD_BIT) != 0);
    if ((seen & UNSURE) != 0 && (seen < 0 || !isNfcWord(start, i))) {
      dropField();
      return 0;
    }
    if (lengths != 0) {
      const len = i - start;
      let wanted: i32 = 0;
      if (len > HEADS) {
        wanted = lengths; // its first heads were overwritten: prefixesRehashed hashes it again
      } else {
        if (len >= GATE) {
          const gate = head(start + GATE - 1);
          wanted = load<i32>(gatesAt + (<usize>(gate & gatesMask) << 2)) & (len < 31 ? (2 << len) - 1 : -1);
        }
        // Prefixes shorter than the gate: their filter bits, read here.
        for (let short = len > 1 ? shortLengths : shortLengths & 2; short != 0; short &= short - 1) {
          const k = ctz(short);
          const p = head(start + k - 1);
          if (inFilter(prefix, shift, p)) lookup(p ^ PREFIX_KEY, start, start + k);
        }
      }
      if (wanted != 0) {
        if (len > HEADS) prefixesRehashed(start, len, wanted);
        else prefixes(start, len, wanted);
      }
    }
    if (inFilter(whole, shift, h)) lookup(h, start, i);
  }
  return 1;
}

/**
 * Looks up the word at `start` (`len` units, the hash of each of its first units in the heads)
 * at each length in the bit set `lengths` (bit n: length n; bit 31: 31 or more).
 */
function prefixes(start: i32, len: i32, lengths: i32): void {
  while (lengths != 0) {
    const n = 31 - clz(lengths);
    lengths ^= 1 << n;
    for (let k = n == 31 ? len : n; k >= n; k--) {
      const h = head(start + k - 1);
      if (inFilter(prefixAt, filterShift, h)) lookup(h ^ PREFIX_KEY, start, start + k);
    }
  }
}

/** The same for a word longer than the heads kept (they wrapped around): hashed again from its start. */
function prefixesRehashed(start: i32, len: i32, lengths: i32): void {
  let h: i32 = OFFSET;
  for (let k = 1; k <= len; k++) {
    h = (h ^ (unitOf(codeAt(start + k - 1)) & 0xffff)) * PRIME;
    if (((lengths >>> (k < 31 ? k : 31)) & 1) != 0 && inFilter(prefixAt, filterShift, h)) lookup(h ^ PREFIX_KEY, start, start + k);
  }
}

/** The terms whose last word (or prefix) hashes to `key` and ends at text[start, end), verified. */
function lookup(key: i32, start: i32, end: i32): void {
  const c = <usize>((key ^ (key >>> 16)) & (CACHE - 1)) << 2;
  if (load<i32>(doneStampsAt + c) == serial && load<i32>(doneKeysAt + c) == key) return;
  let s = key & slotsMask;
  let at = load<i32>(slotsAt + (<usize>s << 3), 4);
  while (at != FREE && load<i32>(slotsAt + (<usize>s << 3)) != key) {
    s = (s + 1) & slotsMask;
    at = load<i32>(slotsAt + (<usize>s << 3), 4);
  }
  if (at == FREE || lookupRecord(at, start, end)) {
    store<i32>(doneKeysAt + c, key);
    store<i32>(doneStampsAt + c, serial);
  }
}

/** Verifies each term of a key's record; whether all of them are found now (or not wanted in this field). */
function lookupRecord(at: i32, start: i32, end: i32): bool {
  let done = true;
  let p = at + 1;
  for (let e = record(at); e > 0; e--) {
    const term = record(p);
    const count = record(p + 2);
    const words = p + 4;
    const wanted = ((<i32>load<u8>(fieldsAt + <usize>term) | ~record(p + 1)) & field) == 0;
    p = words + record(p + 3);
    if (!wanted) continue;
    let last = words;
    for (let k = 1; k < count; k++) last += 1 + ((record(last) + 1) >> 1);
    if (sameWord(start, end, last) && (count == 1 || phraseBefore(start, words, count))) {
      add(term);
    } else {
      done = false; // a hash collision or a phrase not complete yet: the next occurrence may match
    }
  }
  return done;
}

function add(term: i32): void {
  const at = fieldsAt + <usize>term;
  const before = <i32>load<u8>(at);
  if (before == 0) {
    const count = load<i32>(stateAt);
    store<i32>(touchedAt + (<usize>count << 2), term);
    store<i32>(stateAt, count + 1);
  }
  store<u8>(at, before | field);
}

/** Forgets what the reading of the current field listed (it could not finish). */
function dropField(): void {
  let count = load<i32>(stateAt);
  for (let k = 0; k < count; k++) {
    const at = fieldsAt + <usize>load<i32>(touchedAt + (<usize>k << 2));
    store<u8>(at, <i32>load<u8>(at) & ~field);
  }
  while (count > 0 && load<u8>(fieldsAt + <usize>load<i32>(touchedAt + (<usize>(count - 1) << 2))) == 0) count--;
  store<i32>(stateAt, count);
}

/**
 * Whether the words just before the one at `start` are the phrase's other words (its record's
 * words from `words` on, `count` in all), in order: read backwards from the text.
 */
function phraseBefore(start: i32, words: i32, count: i32): bool {
  for (let k = 0, w = words; k < count; k++, w += 1 + ((record(w) + 1) >> 1)) store<i32>(phraseAt + (<usize>k << 2), w);
  let end = start;
  for (let k = count - 2; k >= 0; k--) {
    while (end > 0 && (unitOf(codeAt(end - 1)) & WORD_BIT) == 0) end--;
    let begin = end;
    while (begin > 0 && (unitOf(codeAt(begin - 1)) & WORD_BIT) != 0) begin--;
    if (begin == end || !sameWord(begin, end, load<i32>(phraseAt + (<usize>k << 2)))) return false;
    end = begin;
  }
  return true;
}

/** Whether text[start, end), folded, is the word at records[at] (its length, then its units two per int). */
function sameWord(start: i32, end: i32, at: i32): bool {
  const length = end - start;
  if (record(at) != length) return false;
  for (let k = 0; k < length; k++) {
    if ((unitOf(codeAt(start + k)) & 0xffff) != ((record(at + 1 + (k >> 1)) >>> ((k & 1) << 4)) & 0xffff)) return false;
  }
  return true;
}

/**
 * Whether text[start, end), a word of units none of which NFC replaces or folds only in context,
 * is in NFC: its marks in canonical order, and none that NFC would compose with the last starter
 * before it (ICU's quick check, with its "maybe" answered exactly). src/rules/text.ts derives the
 * tables and says why a word at a time is enough.
 */
function isNfcWord(start: i32, end: i32): bool {
  let starter = -1;
  let lastRank = 0;
  for (let k = start; k < end; k++) {
    const c = codeAt(k);
    const nfc = <i32>load<u8>(nfcAt + <usize>c);
    const rank = nfc & (NFC_CHECKED - 1);
    if (rank != 0 && lastRank > rank) return false;
    // A mark reaches the last starter unless a mark of its rank or more (or a starter) stands between.
    if ((nfc & NFC_CHECKED) != 0 && starter >= 0 && (lastRank == 0 || lastRank < rank) && composes((codeAt(starter) << 16) | c)) return false;
    if (rank == 0) starter = k;
    lastRank = rank;
  }
  return true;
}

/** Whether NFC composes the pair (starter << 16 | mark): looked up in an open-addressing set. */
function composes(pair: i32): bool {
  let s = pairSlot(pair) & composesMask;
  let key = load<i32>(composesAt + (<usize>s << 2));
  while (key != pair && key != 0) {
    s = (s + 1) & composesMask;
    key = load<i32>(composesAt + (<usize>s << 2));
  }
  return key != 0;
}

/** The home slot of a pair in the composing set (before masking); the JavaScript side places pairs by it. */
export function pairSlot(pair: i32): i32 {
  return <i32>((<u32>pair * <u32>0x9e3779b1) >>> 16);
}
