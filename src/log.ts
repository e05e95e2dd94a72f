/**
 * pino JSON logs: one line per thing that happened, constant messages, data in fields.
 * Secrets are redacted by path wherever they might appear (credential headers included), and
 * anything shaped like a JWT is cut out of every line, wherever it sits (a message, an error,
 * a header under another name): a bearer token in a log would be a working credential.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'apiKey', '*.apiKey', 'apiKeys', '*.apiKeys', '*.*.apiKeys',
  'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'req.headers["x-api-key"]', 'key', '*.key', '*.*.key',
  'headers["x-api-key"]', '*.headers["x-api-key"]', '*.headers.authorization', '*.*.headers.authorization', '*.*.headers["x-api-key"]',
  'headers.cookie', '*.headers.cookie',
];

/** A JWS compact token: base64url of a JSON header (always starts `eyJ`), payload, signature. */
const JWT_IN_TEXT = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;

/** Replaces every JWT in a serialised log line (base64url needs no JSON escaping, so the line can be scanned as is). */
export function scrubJwts(line: string): string {
  return line.includes('eyJ') ? line.replace(JWT_IN_TEXT, '[redacted-jwt]') : line;
}

/** destination: where lines go (default stdout); tests pass a stream to read them back. */
export function createLogger(opts: { level: LevelWithSilent; name?: string; destination?: DestinationStream }): Logger {
  const options = {
    level: opts.level,
    name: opts.name ?? 'borderlink',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: { streamWrite: scrubJwts },
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { pid: process.pid },
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
