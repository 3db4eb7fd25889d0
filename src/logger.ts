import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

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
  const options = { level, base: { service: 'topicwire', ...base }, timestamp: pino.stdTimeFunctions.isoTime };
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
