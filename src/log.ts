/**
 * pino JSON logs: one line per thing that happened, constant messages, data in fields.
 * Secrets are redacted by path wherever they might appear.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'apiKey', '*.apiKey', 'apiKeys', '*.apiKeys', '*.*.apiKeys',
  'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'req.headers["x-api-key"]', 'key', '*.key', '*.*.key',
];

export function createLogger(opts: { level: LevelWithSilent; name?: string }): Logger {
  const options = {
    level: opts.level,
    name: opts.name ?? 'borderlink',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { pid: process.pid },
  };
  return pino(options);
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
