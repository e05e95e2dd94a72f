/**
 * What every `borderlink simulate <kind>` command shares: its logger (JSON lines on stderr, so
 * stdout carries only the ready line) and waiting in the foreground until SIGINT, SIGTERM or an
 * abort signal (tests).
 */
import { pino, type Logger } from 'pino';

export function simulatorLogger(level: string): Logger {
  return pino({ level, name: 'borderlink-simulator', timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
}

/**
 * Resolves on the first SIGINT, SIGTERM or abort. `on`, not `once`: with node-opcua loaded,
 * signal-exit re-raises a signal when its own are the only listeners left.
 */
export function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted === true) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}
