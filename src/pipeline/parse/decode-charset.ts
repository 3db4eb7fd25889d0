import iconv from 'iconv-lite';

/**
 * Bytes of a feed → text. The charset comes from a byte order mark, then the HTTP
 * Content-Type, then the XML declaration (RFC 7303 §3; a BOM cannot lie, a header can be
 * stale, a declaration is the author's word), else UTF-8. Bytes that are not valid in the
 * chosen charset fall back to windows-1252, which is what mislabelled feeds nearly always are.
 */
export function decodeFeedBytes(bytes: Uint8Array, contentType = ''): { text: string; charset: string } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = charsetFromBom(buf);
  if (bom) {
    const text = iconv.decode(buf, bom, { stripBOM: true });
    return { text: bom === 'utf-8' ? repairDoubleEncoding(text) : text, charset: bom };
  }

  const declared = [charsetFromContentType(contentType), charsetFromDeclaration(buf)]
    .map((c) => (c ? canonicalCharset(c) : null))
    .find((c): c is string => c !== null);
  const guessed = declared ?? charsetFromNullPattern(buf) ?? 'utf-8';

  if (guessed === 'utf-8') {
    try {
      return { text: repairDoubleEncoding(new TextDecoder('utf-8', { fatal: true }).decode(buf)), charset: 'utf-8' };
    } catch {
      return { text: iconv.decode(buf, 'windows-1252'), charset: 'windows-1252' };
    }
  }
  return { text: iconv.decode(buf, guessed, { stripBOM: true }), charset: guessed };
}

function charsetFromBom(buf: Buffer): string | null {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 'utf-8';
  if (buf[0] === 0x00 && buf[1] === 0x00 && buf[2] === 0xfe && buf[3] === 0xff) return 'utf-32be';
  if (buf[0] === 0xff && buf[1] === 0xfe && buf[2] === 0x00 && buf[3] === 0x00) return 'utf-32le';
  if (buf[0] === 0xfe && buf[1] === 0xff) return 'utf-16be';
  if (buf[0] === 0xff && buf[1] === 0xfe) return 'utf-16le';
  return null;
}

/** UTF-16/32 without a BOM still starts with "<" padded by NUL bytes. */
function charsetFromNullPattern(buf: Buffer): string | null {
  if (buf[0] === 0x00 && buf[1] === 0x3c && buf[2] === 0x00) return 'utf-16be';
  if (buf[0] === 0x3c && buf[1] === 0x00 && buf[2] === 0x3f) return 'utf-16le';
  return null;
}

export function charsetFromContentType(contentType: string): string | null {
  const m = /charset\s*=\s*["']?([^"';\s]+)/i.exec(contentType);
  return m ? m[1]! : null;
}

function charsetFromDeclaration(buf: Buffer): string | null {
  // The declaration is ASCII in every charset a feed can use without a BOM.
  const head = buf.subarray(0, 512).toString('latin1');
  const m = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  return m ? m[1]! : null;
}

/** A charset name iconv-lite can decode, or null when it cannot (the label is then ignored). */
function canonicalCharset(label: string): string | null {
  const name = label.trim().toLowerCase();
  if (name === 'utf8' || name === 'utf-8') return 'utf-8';
  // A declared single-byte UTF-16 label on bytes without NULs is a lie that some servers tell.
  if (name === 'us-ascii' || name === 'ascii') return 'windows-1252';
  if (name === 'iso-8859-1' || name === 'latin1' || name === 'latin-1') return 'windows-1252';
  if (name === 'gb2312' || name === 'gbk') return 'gb18030';
  return iconv.encodingExists(name) ? name : null;
}

// A UTF-8 lead byte read as windows-1252, then one or more continuation bytes read the same way.
const CP1252_CONTINUATION =
  '\u0080-\u00BF\u0152\u0153\u0160\u0161\u0178\u017D\u017E\u0192\u02C6\u02DC\u2013\u2014\u2018-\u201A\u201C-\u201E\u2020-\u2022\u2026\u2030\u2039\u203A\u20AC\u2122';
const DOUBLE_ENCODED = new RegExp(`[\u00C2-\u00F4][${CP1252_CONTINUATION}]+`, 'g');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// The characters windows-1252 puts at 0x80–0x9F, back to their bytes (the other bytes read as Latin-1).
const CP1252_BYTE = new Map(
  Array.from({ length: 32 }, (_, i) => [iconv.decode(Buffer.from([0x80 + i]), 'windows-1252'), 0x80 + i] as const),
);

/**
 * Text that was UTF-8, decoded as windows-1252 and encoded as UTF-8 again ("fÃ¼r" for "für")
 * is common in real feeds. Each such run is turned back into bytes and read as UTF-8; a run
 * that is not valid UTF-8 that way was real text and stays as it is.
 */
export function repairDoubleEncoding(text: string): string {
  if (!/[\u00C2-\u00F4]/.test(text)) return text;
  return text.replace(DOUBLE_ENCODED, (run) => {
    try {
      const fixed = strictUtf8.decode(Uint8Array.from(run, (c) => CP1252_BYTE.get(c) ?? c.charCodeAt(0)));
      return fixed.length < run.length ? fixed : run;
    } catch {
      return run;
    }
  });
}
