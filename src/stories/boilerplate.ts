import { simhash } from './simhash.js';

/**
 * What is left of an item's text when the site's furniture is taken out: lines that recur across
 * a feed's items (share buttons, newsletter footers, "Leave a Reply"), and lines that are such
 * furniture wherever they appear (the list below, in the languages we have met). Two copies of one
 * article on two sites differ mostly in this furniture, so fingerprints are taken without it.
 */

// Whole lines (case-folded, trailing punctuation and "*" removed) that are never the article.
const FURNITURE = new RegExp(
  (
    '^(?:' +
    [
      'source',
      'source link',
      'sources?',
      'original article',
      'read (?:more|the original(?: article)?|the full (?:story|article))',
      'continue reading.*',
      'share(?: this)?(?: article| story| post)?(?: on .*)?',
      'follow us(?: on .*)?',
      'like this',
      'related(?: articles| posts| stories)?',
      'leave a (?:reply|comment)',
      'your email address will not be published.*',
      'required fields are marked.*',
      'comments?',
      'subscribe(?: to .*)?',
      'sign up for .*newsletter.*',
      'advertisement',
      'print',
      'email',
      'x',
      'twitter',
      'facebook',
      'whatsapp',
      'telegram',
      'linkedin',
      'reddit',
      'pinterest',
      'tumblr',
      // Hindi: "source (link)", "share this", "follow us on …", "comment".
      'स्रोत(?: लिंक)?',
      '(?:इसे )?शेयर करें',
      'हमें .*(?:फ़ॉलो|फॉलो) करें',
      'टिप्पणी करें',
      'विज्ञापन',
      // French, Spanish, German.
      'partager(?: sur .*)?',
      'lire la suite',
      'compartir',
      'leer más',
      'teilen',
      'weiterlesen',
      'quelle',
      'fuente',
    ].join('|') +
    ')$'
  ).normalize('NFKC'),
  'u',
);

/** A line as compared across items: case-folded, spaces folded, edge punctuation removed. */
export function lineKey(line: string): string {
  return trimEdges(line.normalize('NFKC').toLowerCase().replace(/\s+/g, ' '));
}

const EDGE_CHAR = /^[\s\p{P}\p{S}]$/u;

/**
 * The text without the spaces, punctuation and symbols at its ends. Read character by character
 * from each end: a regex for the trailing run (`[…]+$`) is tried from every position of the line,
 * which made it most of lineKey's cost.
 */
function trimEdges(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end) {
    const width = text.codePointAt(start)! > 0xffff ? 2 : 1;
    if (!EDGE_CHAR.test(text.slice(start, start + width))) break;
    start += width;
  }
  while (end > start) {
    const low = text.charCodeAt(end - 1);
    const width = low >= 0xdc00 && low <= 0xdfff && end - 2 >= start && text.codePointAt(end - 2)! > 0xffff ? 2 : 1;
    if (!EDGE_CHAR.test(text.slice(end - width, end))) break;
    end -= width;
  }
  return text.slice(start, end);
}

/**
 * lineKey with its answers remembered, for one batch of texts: a feed's new items are read twice
 * (to learn its recurring lines, then to drop them), and normalizing a line is most of the cost.
 */
export function lineKeyMemo(): (line: string) => string {
  const keys = new Map<string, string>();
  return (line) => {
    let key = keys.get(line);
    if (key === undefined) keys.set(line, (key = lineKey(line)));
    return key;
  };
}

/** Lines found in at least two of these texts (a feed's recent items): its furniture. */
export function recurringLines(texts: string[], keyOf: (line: string) => string = lineKey): Set<string> {
  const count = new Map<string, number>();
  for (const text of texts) {
    for (const key of new Set(text.split('\n').map(keyOf))) {
      if (key) count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  return new Set([...count].filter(([, n]) => n >= 2).map(([key]) => key));
}

/** The text without its furniture: lines of the known list and lines in `recurring`. */
export function articleText(
  text: string,
  recurring: ReadonlySet<string> = new Set(),
  keyOf: (line: string) => string = lineKey,
): string {
  return text
    .split('\n')
    .filter((line) => {
      const key = keyOf(line);
      return key !== '' && !recurring.has(key) && !FURNITURE.test(key);
    })
    .join('\n');
}

/**
 * The SimHash fingerprints of a feed's texts, their furniture left out: the known lines and those
 * recurring among `sample` (the feed's newest texts, each once).
 */
export function articleFingerprints(texts: readonly string[], sample: readonly string[]): (bigint | null)[] {
  const keyOf = lineKeyMemo();
  const recurring = recurringLines([...sample], keyOf);
  return texts.map((text) => simhash(articleText(text, recurring, keyOf)));
}
