/**
 * `borderlink simulate <device> [options]`: runs a device simulator in the foreground until SIGINT/SIGTERM.
 * Prints one JSON line on stdout once listening (scripts wait for it); logs go to stderr.
 */
import { parseArgs } from 'node:util';
import { pino, type LevelWithSilent } from 'pino';
import { BorderlinkError, describeError, isBorderlinkError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import { startRpmSimulator } from './rpm/rpm-simulator.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS } from './rpm/scenarios.js';

export interface SimulatorCommandIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  /** stops the simulator like SIGTERM does (for tests and embedding) */
  signal?: AbortSignal;
  /** overrides --log-level and the stderr logger */
  logger?: Logger;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function usage(): string {
  const scenarios = SCENARIO_NAMES.map((n) => `    ${n.padEnd(14)} ${SCENARIOS[n].summary}`).join('\n');
  return `Usage: borderlink simulate rpm [options]

Runs the generic gamma/neutron radiation portal monitor simulator (Modbus TCP,
register map: adapters/rpm-modbus-generic/REGISTER-MAP.md) until SIGINT/SIGTERM.
Prints one JSON line on stdout once listening; logs go to stderr.

Options:
  --port N          TCP port (default 5020; 0 = ephemeral)
  --host H          bind address (default 127.0.0.1)
  --scenario NAME   scenario (default demo)
  --seed S          PRNG seed (default: the scenario's own)
  --unit-id U       Modbus unit id the device answers (default 1)
  --start-time T    device clock at start: RFC 3339 time or epoch ms (default now)
  --n-sigma N       alarm threshold n (default 4.0)
  --log-level L     ${LOG_LEVELS.join('|')} (default info)
  -h, --help        this text

Scenarios:
${scenarios}
`;
}

function intOption(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || v < min || v > max) throw new BorderlinkError('BL_ERR_USAGE', `--${name} must be an integer ${min}-${max}, got "${raw}"`);
  return v;
}

/** argv: the arguments after `simulate` (e.g. ['rpm', '--port', '5020']). Resolves to the exit code. */
export async function runSimulatorCommand(argv: string[], io: SimulatorCommandIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        scenario: { type: 'string' },
        seed: { type: 'string' },
        'unit-id': { type: 'string' },
        'start-time': { type: 'string' },
        'n-sigma': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err.write(`${describeError(e).message}\n\n${usage()}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    out.write(usage());
    return 0;
  }
  const device = positionals[0];
  if (device === undefined || positionals.length > 1 || device !== 'rpm') {
    err.write(`${device === undefined ? 'missing device' : `unknown simulator "${positionals.join(' ')}"`}; available: rpm\n\n${usage()}`);
    return 2;
  }

  let port: number | undefined;
  let seed: number | undefined;
  let unitId: number | undefined;
  let startTimeMs: number | undefined;
  let nSigma: number | undefined;
  const scenario = values.scenario ?? 'demo';
  const level = (values['log-level'] ?? 'info') as LevelWithSilent;
  try {
    if (!isScenarioName(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
    port = intOption('port', values.port, 0, 65535) ?? 5020;
    seed = intOption('seed', values.seed, 0, 0xffffffff);
    unitId = intOption('unit-id', values['unit-id'], 0, 255);
    if (values['start-time'] !== undefined) {
      const raw = values['start-time'];
      startTimeMs = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
      if (!Number.isFinite(startTimeMs)) throw new BorderlinkError('BL_ERR_USAGE', `--start-time must be an RFC 3339 time or epoch ms, got "${raw}"`);
    }
    if (values['n-sigma'] !== undefined) {
      nSigma = Number(values['n-sigma']);
      if (!(nSigma >= 1 && nSigma <= 20)) throw new BorderlinkError('BL_ERR_USAGE', `--n-sigma must be a number 1-20, got "${values['n-sigma']}"`);
    }
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new BorderlinkError('BL_ERR_USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return 2;
  }

  const logger = io.logger ?? pino({ level, name: 'borderlink-simulator', timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
  let sim;
  try {
    sim = await startRpmSimulator({
      host: values.host ?? '127.0.0.1',
      port,
      scenario,
      realtime: true,
      logger,
      ...(seed === undefined ? {} : { seed }),
      ...(unitId === undefined ? {} : { unitId }),
      ...(startTimeMs === undefined ? {} : { startTimeMs }),
      ...(nSigma === undefined ? {} : { nSigma }),
    });
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return isBorderlinkError(e) && (e.kind === 'usage' || e.kind === 'config') ? 2 : 1;
  }
  out.write(`${JSON.stringify({ simulator: 'rpm', host: sim.host, port: sim.port, unitId: sim.unitId, scenario: sim.scenario, seed: sim.seed })}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted === true) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
  await sim.close();
  logger.info({ simulator: 'rpm' }, 'simulator stopped');
  return 0;
}
