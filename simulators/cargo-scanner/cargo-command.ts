/**
 * `borderlink simulate cargo-scanner (--webhook URL | --port N) [options]`: the cargo X-ray
 * scanner in the foreground until SIGINT/SIGTERM. Prints one JSON line on stdout once running;
 * logs (one line per scan) go to stderr.
 */
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { BorderlinkError, describeError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { startCargoScannerSimulator, type CargoScannerSimulator } from './cargo-scanner-simulator.js';
import { isCargoScenario, SCENARIO_NAMES } from './scans.js';
import { simulatorLogger, untilStopped } from '../foreground.js';

export interface CargoCommandIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  /** stops the simulator like SIGTERM does (for tests and embedding) */
  signal?: AbortSignal;
  /** overrides --log-level and the stderr logger */
  logger?: Logger;
}

export const DEFAULT_CARGO_PORT = 5090;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function cargoScannerUsage(): string {
  return `Usage: borderlink simulate cargo-scanner [--webhook URL | --port N] [options]

Runs a cargo X-ray scanner (simulators/cargo-scanner) until SIGINT/SIGTERM: one scan every
--interval ms, each a DICOS-style threat report with a generated PNG image. Either
  webhook  POSTs each result as multipart/form-data to URL (the gateway's
           /v1/scanners/{path}/results), or
  poll     serves GET /scans?since=N&limit=M, /images/<sha256>.png and /status.
Prints one JSON line on stdout once running; logs go to stderr.

Options:
  --webhook URL     webhook mode: where results are POSTed
  --api-key K       webhook mode: sent as x-api-key
  --port N          poll mode: TCP port (default ${DEFAULT_CARGO_PORT}; 0 = ephemeral)
  --host H          poll mode: bind address (default 127.0.0.1)
  --scenario NAME   ${SCENARIO_NAMES.join(' | ')} (default demo: all kinds in turn)
  --interval MS     ms between scans (default 10000)
  --seed S          PRNG seed (default 6346)
  --log-level L     ${LOG_LEVELS.join('|')} (default info)
  -h, --help        this text
`;
}

/** argv: the arguments after `simulate cargo-scanner`. Resolves to the exit code. */
export async function runCargoScannerCommand(argv: string[], io: CargoCommandIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let opts: { webhook?: string; apiKey?: string; host: string; port: number; scenario: string; intervalMs: number; seed?: number; level: LevelWithSilent };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        webhook: { type: 'string' },
        'api-key': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        scenario: { type: 'string' },
        interval: { type: 'string' },
        seed: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      out.write(cargoScannerUsage());
      return 0;
    }
    if (positionals.length > 0) throw new BorderlinkError('BL_ERR_USAGE', `unexpected argument "${positionals.join(' ')}"`);
    const int = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
      if (raw === undefined) return undefined;
      const v = Number(raw);
      if (!/^\d+$/.test(raw.trim()) || v < min || v > max) throw new BorderlinkError('BL_ERR_USAGE', `--${name} must be an integer ${min}-${max}, got "${raw}"`);
      return v;
    };
    const scenario = values.scenario ?? 'demo';
    if (!isCargoScenario(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
    if (values.webhook !== undefined) {
      if (!/^https?:\/\/./.test(values.webhook)) throw new BorderlinkError('BL_ERR_USAGE', `--webhook must be an http(s) URL, got "${values.webhook}"`);
      if (values.port !== undefined || values.host !== undefined) throw new BorderlinkError('BL_ERR_USAGE', '--webhook posts results: --port and --host (poll mode) do not apply');
    } else if (values['api-key'] !== undefined) {
      throw new BorderlinkError('BL_ERR_USAGE', '--api-key needs --webhook');
    }
    const level = (values['log-level'] ?? 'info') as LevelWithSilent;
    if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new BorderlinkError('BL_ERR_USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
    const seed = int('seed', values.seed, 0, 0xffffffff);
    opts = {
      host: values.host ?? '127.0.0.1',
      port: int('port', values.port, 0, 65535) ?? DEFAULT_CARGO_PORT,
      scenario,
      intervalMs: int('interval', values.interval, 100, 86_400_000) ?? 10_000,
      level,
      ...(values.webhook !== undefined ? { webhook: values.webhook } : {}),
      ...(values['api-key'] !== undefined ? { apiKey: values['api-key'] } : {}),
      ...(seed !== undefined ? { seed } : {}),
    };
  } catch (e) {
    err.write(`${describeError(e).message}\n\n${cargoScannerUsage()}`);
    return 2;
  }

  const logger = io.logger ?? simulatorLogger(opts.level);
  let sim: CargoScannerSimulator;
  try {
    sim = await startCargoScannerSimulator({
      mode: opts.webhook !== undefined ? 'webhook' : 'poll',
      host: opts.host,
      port: opts.port,
      scenario: opts.scenario,
      intervalMs: opts.intervalMs,
      realtime: true,
      logger,
      ...(opts.webhook !== undefined ? { webhookUrl: opts.webhook } : {}),
      ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return 1;
  }
  out.write(`${JSON.stringify({ simulator: 'cargo-scanner', mode: sim.mode, ...(sim.url ? { url: sim.url, port: sim.port } : { webhook: opts.webhook }), scenario: sim.scenario, intervalMs: opts.intervalMs })}\n`);

  await untilStopped(io.signal);
  await sim.close();
  logger.info({ simulator: 'cargo-scanner' }, 'simulator stopped');
  return 0;
}
