/**
 * What every `borderlink simulate <kind>` command shares: the option parsing frame (-h/--help,
 * --log-level, no positionals, a usage error exits 2 with the usage text), its logger (JSON lines on
 * stderr, so stdout carries only the ready line), the one JSON ready line, and waiting in the
 * foreground until SIGINT, SIGTERM or an abort signal (tests) before closing the simulator.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pino, type LevelWithSilent, type Logger } from 'pino';
import { BorderlinkError, describeError, isBorderlinkError } from '../src/errors.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function simulatorLogger(level: string): Logger {
  return pino({ level, name: 'borderlink-simulator', timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
}

/** What parseArgs hands a command's parse step. */
export type OptionValues = { [k: string]: string | boolean | string[] | undefined };

/** A string option, or undefined when not given. */
export function stringOption(values: OptionValues, k: string): string | undefined {
  const v = values[k];
  return typeof v === 'string' ? v : undefined;
}

/** An integer option within min..max, or undefined when not given; anything else is a usage error. */
export function intOption(values: OptionValues, k: string, min: number, max: number): number | undefined {
  const raw = stringOption(values, k);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || v < min || v > max) throw new BorderlinkError('BL_ERR_USAGE', `--${k} must be an integer ${min}-${max}, got "${raw}"`);
  return v;
}

/** --log-level, checked (default info). */
export function logLevelOption(raw: unknown): LevelWithSilent {
  const level = (raw ?? 'info') as LevelWithSilent;
  if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level)) throw new BorderlinkError('BL_ERR_USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  return level;
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

export interface ForegroundIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  /** stops the simulator like SIGTERM does (for tests and embedding) */
  signal?: AbortSignal;
  /** overrides --log-level and the stderr logger */
  logger?: Logger;
}

/** A running simulator as the foreground frame sees it. */
export interface ForegroundRun {
  /** the ready line's fields (printed as one JSON line on stdout) */
  ready: Record<string, unknown>;
  close(): Promise<void>;
}

export interface ForegroundCommand<P extends { level: LevelWithSilent }> {
  /** the simulator's name in the "simulator stopped" log line */
  name: string;
  usage(): string;
  /** the command's own options; --log-level and -h/--help are added */
  options: NonNullable<ParseArgsConfig['options']>;
  /** checks the parsed values; throws BL_ERR_USAGE with the reason */
  parse(values: OptionValues): P;
  start(parsed: P, logger: Logger): Promise<ForegroundRun>;
}

/**
 * Parses, starts, prints the ready line, waits for a stop and closes. Exit 0; 2 on a usage error
 * (also one the simulator reports at start as usage or config); 1 when it cannot start otherwise.
 */
export async function runForeground<P extends { level: LevelWithSilent }>(argv: string[], io: ForegroundIo, cmd: ForegroundCommand<P>): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let parsed: P;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...cmd.options, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) {
      out.write(cmd.usage());
      return 0;
    }
    if (positionals.length > 0) throw new BorderlinkError('BL_ERR_USAGE', `unexpected argument "${positionals.join(' ')}"`);
    parsed = cmd.parse(values);
  } catch (e) {
    err.write(`${describeError(e).message}\n\n${cmd.usage()}`);
    return 2;
  }

  const logger = io.logger ?? simulatorLogger(parsed.level);
  let run: ForegroundRun;
  try {
    run = await cmd.start(parsed, logger);
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return isBorderlinkError(e) && (e.kind === 'usage' || e.kind === 'config') ? 2 : 1;
  }
  out.write(`${JSON.stringify(run.ready)}\n`);
  await untilStopped(io.signal);
  await run.close();
  logger.info({ simulator: cmd.name }, 'simulator stopped');
  return 0;
}
