/**
 * `borderlink simulate spectrometer-serial (--port N | --path P) [options]`: the docked handheld
 * spectrometer (HSX-1) in the foreground until SIGINT/SIGTERM. Prints one JSON line on stdout once
 * it is writing; logs go to stderr. Mirrors `simulate rpm-line`: a TCP listener stands for a
 * serial device server, a path for one end of a pseudo-terminal pair (or a real serial port).
 */
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { BorderlinkError, describeError, isBorderlinkError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { SPECTRO_SCENARIOS, startSpectrometerSimulator, type SpectrometerSimulator, type SpectrometerSimulatorOptions } from './spectrometer-simulator.js';
import { simulatorLogger, untilStopped } from '../foreground.js';

export interface SpectrometerCommandIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  /** stops the simulator like SIGTERM does (for tests and embedding) */
  signal?: AbortSignal;
  /** overrides --log-level and the stderr logger */
  logger?: Logger;
}

export const DEFAULT_SPECTRO_PORT = 5023;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SCENARIOS = ['demo', 'idle', ...SPECTRO_SCENARIOS] as const;

export function spectrometerUsage(): string {
  return `Usage: borderlink simulate spectrometer-serial [--port N | --path P] [options]

Runs a docked handheld Raman/FTIR identifier speaking the HSX-1 framed protocol
(adapters/handheld-spectrometer-serial/README.md) until SIGINT/SIGTERM, either as a TCP
listener (a serial device server: every client that connects gets the stream) or into a path:
one end of a pseudo-terminal pair (socat pty,raw,echo=0,link=/tmp/hsx-dev pty,raw,echo=0,link=/tmp/hsx-gw)
or a serial port. Prints one JSON line on stdout once writing; logs go to stderr.

Options:
  --port N          TCP port to listen on (default ${DEFAULT_SPECTRO_PORT}; 0 = ephemeral)
  --host H          bind address (default 127.0.0.1)
  --path P          write to this path instead of listening
  --scenario NAME   ${SCENARIOS.join(' | ')} (default demo: each measurement scenario in turn)
  --interval MS     ms between measurements (default 15000)
  --seed S          PRNG seed (default 1)
  --utc-offset M    the device clock's offset from UTC in minutes, as results carry it (default 60)
  --library DIR     reference library the device's spectra are made from (default: the seed library)
  --log-level L     ${LOG_LEVELS.join('|')} (default info)
  -h, --help        this text
`;
}

interface Parsed {
  options: SpectrometerSimulatorOptions;
  level: LevelWithSilent;
}

function parse(values: { [k: string]: string | boolean | undefined }): Parsed {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const int = (k: string, min: number, max: number): number | undefined => {
    const raw = str(k);
    if (raw === undefined) return undefined;
    const v = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || v < min || v > max) throw new BorderlinkError('BL_ERR_USAGE', `--${k} must be an integer ${min}-${max}, got "${raw}"`);
    return v;
  };
  const scenario = str('scenario') ?? 'demo';
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${SCENARIOS.join(', ')}`);
  const path = str('path');
  if (path !== undefined && (str('port') !== undefined || str('host') !== undefined)) throw new BorderlinkError('BL_ERR_USAGE', '--path cannot be combined with --port or --host');
  if (path === '') throw new BorderlinkError('BL_ERR_USAGE', '--path needs a file or device path');
  const level = (str('log-level') ?? 'info') as LevelWithSilent;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new BorderlinkError('BL_ERR_USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const port = int('port', 0, 65535) ?? DEFAULT_SPECTRO_PORT;
  const seed = int('seed', 0, 0xffffffff);
  const intervalMs = int('interval', 100, 86_400_000);
  const utcOffsetMinutes = int('utc-offset', -14 * 60, 14 * 60);
  const library = str('library');
  const options: SpectrometerSimulatorOptions = {
    ...(path === undefined ? { mode: 'tcp' as const, host: str('host') ?? '127.0.0.1', port } : { mode: 'path' as const, path }),
    scenario: scenario as NonNullable<SpectrometerSimulatorOptions['scenario']>,
    realtime: true,
    ...(seed === undefined ? {} : { seed }),
    ...(intervalMs === undefined ? {} : { intervalMs }),
    ...(utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes }),
    ...(library === undefined ? {} : { libraryDir: library }),
  };
  return { options, level };
}

/** argv: the arguments after `simulate spectrometer-serial`. Resolves to the exit code. */
export async function runSpectrometerCommand(argv: string[], io: SpectrometerCommandIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let parsed: Parsed;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        path: { type: 'string' },
        scenario: { type: 'string' },
        interval: { type: 'string' },
        seed: { type: 'string' },
        'utc-offset': { type: 'string' },
        library: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      out.write(spectrometerUsage());
      return 0;
    }
    if (positionals.length > 0) throw new BorderlinkError('BL_ERR_USAGE', `unexpected argument "${positionals.join(' ')}"`);
    parsed = parse(values);
  } catch (e) {
    err.write(`${describeError(e).message}\n\n${spectrometerUsage()}`);
    return 2;
  }

  const logger = io.logger ?? simulatorLogger(parsed.level);
  const opts = parsed.options;
  let sim: SpectrometerSimulator;
  try {
    sim = await startSpectrometerSimulator({ ...opts, logger });
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return isBorderlinkError(e) && (e.kind === 'usage' || e.kind === 'config') ? 2 : 1;
  }
  const where = opts.mode === 'tcp' ? { host: opts.host, port: sim.port } : { path: opts.path };
  out.write(`${JSON.stringify({ simulator: 'spectrometer-serial', mode: opts.mode, ...where, scenario: opts.scenario, seed: opts.seed ?? 1 })}\n`);

  await untilStopped(io.signal);
  await sim.close();
  logger.info({ simulator: 'spectrometer-serial' }, 'simulator stopped');
  return 0;
}
