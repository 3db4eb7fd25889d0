import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { maskUrl, maskUrlsIn } from './pipeline/fetch/url-secrets.js';

export type { Logger };

// Logs leave the service (files, collectors, people's screens): feed URLs in them are masked
// like the API masks them for readers, and so are URLs inside error messages.
const maskIfText = (v: unknown) => (typeof v === 'string' ? maskUrl(v) : v);
export const logSerializers = {
  url: maskIfText,
  callback: maskIfText,
  err: (err: Error | string) => {
    if (typeof err === 'string') return maskUrlsIn(err);
    const out = pino.stdSerializers.err(err);
    if (typeof out.message === 'string') out.message = maskUrlsIn(out.message);
    if (typeof out.stack === 'string') out.stack = maskUrlsIn(out.stack);
    return out;
  },
};

/**
 * Structured logs with stable keys (feedId, itemId, durationMs, requestId): JSON lines on stdout
 * for machines, or, when stdout is a terminal (a person running `npm start`), the same records
 * printed for people by pino-pretty (LOG_FORMAT=json|pretty overrides the guess).
 */
export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  format: 'auto' | 'json' | 'pretty' = 'auto',
): Logger {
  const options = {
    level,
    base: { service: 'topicwire', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: logSerializers,
  };
  const human = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  if (!human) return pino(options);
  // Synchronous, in this thread: a line logged just before the process exits is not lost.
  return pino(
    options,
    pretty({
      colorize: true,
      sync: true,
      singleLine: true,
      ignore: 'pid,hostname,service',
      translateTime: 'SYS:HH:MM:ss.l',
    }),
  );
}
