import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout; stable keys (feedId, itemId, durationMs) so they can be queried. */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'topicwire', ...base }, timestamp: pino.stdTimeFunctions.isoTime });
}
