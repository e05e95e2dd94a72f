/**
 * `borderlink simulate cargo-scanner (--webhook URL | --port N) [options]`: the cargo X-ray
 * scanner in the foreground until SIGINT/SIGTERM. Prints one JSON line on stdout once running;
 * logs (one line per scan) go to stderr.
 */
import type { LevelWithSilent } from 'pino';
import { BorderlinkError } from '../../src/errors.js';
import { startCargoScannerSimulator } from './cargo-scanner-simulator.js';
import { isCargoScenario, SCENARIO_NAMES } from './scans.js';
import { intOption, LOG_LEVELS, logLevelOption, runForeground, stringOption, type ForegroundIo, type OptionValues } from '../foreground.js';

export type CargoCommandIo = ForegroundIo;

export const DEFAULT_CARGO_PORT = 5090;

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

interface Parsed {
  webhook?: string;
  apiKey?: string;
  host: string;
  port: number;
  scenario: string;
  intervalMs: number;
  seed?: number;
  level: LevelWithSilent;
}

function parse(values: OptionValues): Parsed {
  const str = (k: string): string | undefined => stringOption(values, k);
  const scenario = str('scenario') ?? 'demo';
  if (!isCargoScenario(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
  const webhook = str('webhook');
  const apiKey = str('api-key');
  if (webhook !== undefined) {
    if (!/^https?:\/\/./.test(webhook)) throw new BorderlinkError('BL_ERR_USAGE', `--webhook must be an http(s) URL, got "${webhook}"`);
    if (str('port') !== undefined || str('host') !== undefined) throw new BorderlinkError('BL_ERR_USAGE', '--webhook posts results: --port and --host (poll mode) do not apply');
  } else if (apiKey !== undefined) {
    throw new BorderlinkError('BL_ERR_USAGE', '--api-key needs --webhook');
  }
  const level = logLevelOption(values['log-level']);
  const seed = intOption(values, 'seed', 0, 0xffffffff);
  return {
    host: str('host') ?? '127.0.0.1',
    port: intOption(values, 'port', 0, 65535) ?? DEFAULT_CARGO_PORT,
    scenario,
    intervalMs: intOption(values, 'interval', 100, 86_400_000) ?? 10_000,
    level,
    ...(webhook !== undefined ? { webhook } : {}),
    ...(apiKey !== undefined ? { apiKey } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/** argv: the arguments after `simulate cargo-scanner`. Resolves to the exit code. */
export function runCargoScannerCommand(argv: string[], io: CargoCommandIo = {}): Promise<number> {
  return runForeground(argv, io, {
    name: 'cargo-scanner',
    usage: cargoScannerUsage,
    options: {
      webhook: { type: 'string' },
      'api-key': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      scenario: { type: 'string' },
      interval: { type: 'string' },
      seed: { type: 'string' },
    },
    parse,
    async start(opts, logger) {
      const sim = await startCargoScannerSimulator({
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
      return {
        ready: { simulator: 'cargo-scanner', mode: sim.mode, ...(sim.url ? { url: sim.url, port: sim.port } : { webhook: opts.webhook }), scenario: sim.scenario, intervalMs: opts.intervalMs },
        close: () => sim.close(),
      };
    },
  });
}
