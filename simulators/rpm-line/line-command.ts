/**
 * `borderlink simulate rpm-line (--port N | --path P) [options]`: the line-protocol RPM simulator in
 * the foreground until SIGINT/SIGTERM. Prints one JSON line on stdout once it is writing; logs go to stderr.
 */
import type { LevelWithSilent } from 'pino';
import { BorderlinkError } from '../../src/errors.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS } from '../rpm/scenarios.js';
import { startRpmLineSimulator } from './rpm-line-simulator.js';
import { intOption, LOG_LEVELS, logLevelOption, runForeground, stringOption, type ForegroundIo, type OptionValues } from '../foreground.js';

export type LineCommandIo = ForegroundIo;

export const DEFAULT_LINE_PORT = 5021;

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

function parse(values: OptionValues): Parsed {
  const str = (k: string): string | undefined => stringOption(values, k);
  const int = (k: string, min: number, max: number): number | undefined => intOption(values, k, min, max);
  const scenario = str('scenario') ?? 'demo';
  if (!isScenarioName(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
  const path = str('path');
  if (path !== undefined && (str('port') !== undefined || str('host') !== undefined)) throw new BorderlinkError('BL_ERR_USAGE', '--path cannot be combined with --port or --host');
  if (path === '') throw new BorderlinkError('BL_ERR_USAGE', '--path needs a file or device path');
  const level = logLevelOption(values['log-level']);
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
export function runRpmLineCommand(argv: string[], io: LineCommandIo = {}): Promise<number> {
  return runForeground(argv, io, {
    name: 'rpm-line',
    usage: rpmLineUsage,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      path: { type: 'string' },
      scenario: { type: 'string' },
      seed: { type: 'string' },
      'start-time': { type: 'string' },
      'n-sigma': { type: 'string' },
    },
    parse,
    async start(opts, logger) {
      const sim = await startRpmLineSimulator({
        mode: opts.mode,
        ...(opts.mode === 'tcp' ? { host: opts.host, port: opts.port } : { path: opts.path as string }),
        scenario: opts.scenario,
        realtime: true,
        logger,
        ...(opts.seed === undefined ? {} : { seed: opts.seed }),
        ...(opts.startTimeMs === undefined ? {} : { startTimeMs: opts.startTimeMs }),
        ...(opts.nSigma === undefined ? {} : { nSigma: opts.nSigma }),
      });
      const where = sim.mode === 'tcp' ? { host: sim.host, port: sim.port } : { path: sim.path };
      return { ready: { simulator: 'rpm-line', mode: sim.mode, ...where, scenario: sim.scenario, seed: sim.seed }, close: () => sim.close() };
    },
  });
}
