/**
 * `borderlink simulate rpm-line (--port N | --path P) [options]`: the line-protocol RPM simulator in
 * the foreground until SIGINT/SIGTERM. Prints one JSON line on stdout once it is writing; logs go to stderr.
 */
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { BorderlinkError, describeError, isBorderlinkError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS } from '../rpm/scenarios.js';
import { startRpmLineSimulator, type RpmLineSimulator } from './rpm-line-simulator.js';
import { simulatorLogger, untilStopped } from '../foreground.js';

export interface LineCommandIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  /** stops the simulator like SIGTERM does (for tests and embedding) */
  signal?: AbortSignal;
  /** overrides --log-level and the stderr logger */
  logger?: Logger;
}

export const DEFAULT_LINE_PORT = 5021;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function rpmLineUsage(): string {
  const scenarios = SCENARIO_NAMES.map((n) => `    ${n.padEnd(14)} ${SCENARIOS[n].summary}`).join('\n');
  return `Usage: borderlink simulate rpm-line [--port N | --path P] [options]

Runs the radiation portal monitor simulator that streams the tagged line protocol
(adapters/rpm-line-protocol/README.md) until SIGINT/SIGTERM, either as a TCP listener
(every client that connects gets the stream) or into a path: a file, or one end of a
pseudo-terminal pair (socat -d -d pty,raw,echo=0,link=/tmp/rpm-a pty,raw,echo=0,link=/tmp/rpm-b).
Prints one JSON line on stdout once writing; logs go to stderr.

Options:
  --port N          TCP port to listen on (default ${DEFAULT_LINE_PORT}; 0 = ephemeral)
  --host H          bind address (default 127.0.0.1)
  --path P          write to this path instead of listening (appends; never blocks)
  --scenario NAME   scenario (default demo)
  --seed S          PRNG seed (default: the scenario's own)
  --start-time T    device clock at start: RFC 3339 time or epoch ms (default now)
  --n-sigma N       alarm threshold n (default 4.0)
  --log-level L     ${LOG_LEVELS.join('|')} (default info)
  -h, --help        this text

Scenarios (transport faults of malformed/silent apply to lines, see simulators/rpm-line/README.md):
${scenarios}
`;
}

interface Parsed {
  mode: 'tcp' | 'path';
  host: string;
  port: number;
  path?: string;
  scenario: string;
  seed?: number;
  startTimeMs?: number;
  nSigma?: number;
  level: LevelWithSilent;
}

function parse(values: { [k: string]: string | boolean | undefined }): Parsed {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const int = (k: string, min: number, max: number): number | undefined => {
    const raw = str(k);
    if (raw === undefined) return undefined;
    const v = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || v < min || v > max) throw new BorderlinkError('BL_ERR_USAGE', `--${k} must be an integer ${min}-${max}, got "${raw}"`);
    return v;
  };
  const scenario = str('scenario') ?? 'demo';
  if (!isScenarioName(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
  const path = str('path');
  if (path !== undefined && (str('port') !== undefined || str('host') !== undefined)) throw new BorderlinkError('BL_ERR_USAGE', '--path cannot be combined with --port or --host');
  if (path === '') throw new BorderlinkError('BL_ERR_USAGE', '--path needs a file or device path');
  const level = (str('log-level') ?? 'info') as LevelWithSilent;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new BorderlinkError('BL_ERR_USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const out: Parsed = { mode: path === undefined ? 'tcp' : 'path', host: str('host') ?? '127.0.0.1', port: int('port', 0, 65535) ?? DEFAULT_LINE_PORT, scenario, level };
  if (path !== undefined) out.path = path;
  const seed = int('seed', 0, 0xffffffff);
  if (seed !== undefined) out.seed = seed;
  const start = str('start-time');
  if (start !== undefined) {
    const ms = /^\d+$/.test(start) ? Number(start) : Date.parse(start);
    if (!Number.isFinite(ms)) throw new BorderlinkError('BL_ERR_USAGE', `--start-time must be an RFC 3339 time or epoch ms, got "${start}"`);
    out.startTimeMs = ms;
  }
  const n = str('n-sigma');
  if (n !== undefined) {
    const v = Number(n);
    if (!(v >= 1 && v <= 20)) throw new BorderlinkError('BL_ERR_USAGE', `--n-sigma must be a number 1-20, got "${n}"`);
    out.nSigma = v;
  }
  return out;
}

/** argv: the arguments after `simulate rpm-line`. Resolves to the exit code. */
export async function runRpmLineCommand(argv: string[], io: LineCommandIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let opts: Parsed;
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
        seed: { type: 'string' },
        'start-time': { type: 'string' },
        'n-sigma': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      out.write(rpmLineUsage());
      return 0;
    }
    if (positionals.length > 0) throw new BorderlinkError('BL_ERR_USAGE', `unexpected argument "${positionals.join(' ')}"`);
    opts = parse(values);
  } catch (e) {
    err.write(`${describeError(e).message}\n\n${rpmLineUsage()}`);
    return 2;
  }

  const logger = io.logger ?? simulatorLogger(opts.level);
  let sim: RpmLineSimulator;
  try {
    sim = await startRpmLineSimulator({
      mode: opts.mode,
      ...(opts.mode === 'tcp' ? { host: opts.host, port: opts.port } : { path: opts.path as string }),
      scenario: opts.scenario,
      realtime: true,
      logger,
      ...(opts.seed === undefined ? {} : { seed: opts.seed }),
      ...(opts.startTimeMs === undefined ? {} : { startTimeMs: opts.startTimeMs }),
      ...(opts.nSigma === undefined ? {} : { nSigma: opts.nSigma }),
    });
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return isBorderlinkError(e) && (e.kind === 'usage' || e.kind === 'config') ? 2 : 1;
  }
  const where = sim.mode === 'tcp' ? { host: sim.host, port: sim.port } : { path: sim.path };
  out.write(`${JSON.stringify({ simulator: 'rpm-line', mode: sim.mode, ...where, scenario: sim.scenario, seed: sim.seed })}\n`);

  await untilStopped(io.signal);
  await sim.close();
  logger.info({ simulator: 'rpm-line' }, 'simulator stopped');
  return 0;
}
