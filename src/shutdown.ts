import type { Logger } from './logger.js';

/** On SIGINT/SIGTERM: run the closers in order (stop taking work first, close connections last), under a deadline. */
export function onShutdown(closers: (() => Promise<unknown>)[], log: Logger, timeoutMs = 30_000): void {
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    for (const closer of closers) {
      await closer().catch((err: unknown) => log.warn({ err }, 'error while shutting down'));
    }
    clearTimeout(timer);
    process.exit(0);
  };
  process.once('SIGINT', () => void close('SIGINT'));
  process.once('SIGTERM', () => void close('SIGTERM'));
}
