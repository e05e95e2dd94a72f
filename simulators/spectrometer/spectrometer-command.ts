/**
 * `borderlink simulate spectrometer-serial (--port N | --path P) [options]`: the docked handheld
 * spectrometer (HSX-1) in the foreground until SIGINT/SIGTERM. Prints one JSON line on stdout once
 * it is writing; logs go to stderr. Mirrors `simulate rpm-line`: a TCP listener stands for a
 * serial device server, a path for one end of a pseudo-terminal pair (or a real serial port).
 */
import type { LevelWithSilent } from 'pino';
import { BorderlinkError } from '../../src/errors.js';
import { SPECTRO_SCENARIOS, startSpectrometerSimulator, type SpectrometerSimulatorOptions } from './spectrometer-simulator.js';
import { intOption, LOG_LEVELS, logLevelOption, runForeground, stringOption, type ForegroundIo, type OptionValues } from '../foreground.js';

export type SpectrometerCommandIo = ForegroundIo;

export const DEFAULT_SPECTRO_PORT = 5023;
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

function parse(values: OptionValues): Parsed {
  const str = (k: string): string | undefined => stringOption(values, k);
  const int = (k: string, min: number, max: number): number | undefined => intOption(values, k, min, max);
  const scenario = str('scenario') ?? 'demo';
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${SCENARIOS.join(', ')}`);
  const path = str('path');
  if (path !== undefined && (str('port') !== undefined || str('host') !== undefined)) throw new BorderlinkError('BL_ERR_USAGE', '--path cannot be combined with --port or --host');
  if (path === '') throw new BorderlinkError('BL_ERR_USAGE', '--path needs a file or device path');
  const level = logLevelOption(values['log-level']);
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
export function runSpectrometerCommand(argv: string[], io: SpectrometerCommandIo = {}): Promise<number> {
  return runForeground(argv, io, {
    name: 'spectrometer-serial',
    usage: spectrometerUsage,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      path: { type: 'string' },
      scenario: { type: 'string' },
      interval: { type: 'string' },
      seed: { type: 'string' },
      'utc-offset': { type: 'string' },
      library: { type: 'string' },
    },
    parse,
    async start(parsed, logger) {
      const opts = parsed.options;
      const sim = await startSpectrometerSimulator({ ...opts, logger });
      const where = opts.mode === 'tcp' ? { host: opts.host, port: sim.port } : { path: opts.path };
      return { ready: { simulator: 'spectrometer-serial', mode: opts.mode, ...where, scenario: opts.scenario, seed: opts.seed ?? 1 }, close: () => sim.close() };
    },
  });
}
