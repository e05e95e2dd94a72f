/**
 * `borderlink simulate xray-opcua [options]`: the X-ray scanner OPC UA server in the foreground
 * until SIGINT/SIGTERM. Prints one JSON line on stdout once listening (endpoint, port, certificate
 * thumbprint, ScanSequence it continues from); logs go to stderr.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { BorderlinkError, describeError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { isXrayScenario, SCENARIO_SUMMARIES, XRAY_SCENARIOS, type XrayScenario } from './scenarios.js';
import { simulatorLogger, untilStopped } from '../foreground.js';

export interface XrayCommandIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  /** stops the simulator like SIGTERM does (for tests and embedding) */
  signal?: AbortSignal;
  /** overrides --log-level and the stderr logger */
  logger?: Logger;
}

export const DEFAULT_XRAY_OPCUA_PORT = 4840;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function xrayUsage(): string {
  const scenarios = XRAY_SCENARIOS.map((n) => `    ${n.padEnd(18)} ${SCENARIO_SUMMARIES[n]}`).join('\n');
  return `Usage: borderlink simulate xray-opcua --state-dir DIR [options]

Runs a simulated X-ray scanner as an OPC UA server (namespace urn:borderlink:sim:xray; node ids
in simulators/opcua-scanner/README.md) until SIGINT/SIGTERM. Security: None, and SignAndEncrypt
with Basic256Sha256 or Aes128_Sha256_RsaOaep; any client certificate is accepted. The server's
PKI and its ScanSequence live in --state-dir, so a restarted simulator keeps its certificate and
continues its numbering. Prints one JSON line on stdout once listening; logs go to stderr.

Options:
  --state-dir DIR     PKI (pki/) and scan memory (scanner-state.json); created if missing
  --port N            TCP port (default ${DEFAULT_XRAY_OPCUA_PORT}; 0 = ephemeral)
  --host H            bind address and advertised host name (default 127.0.0.1)
  --scenario NAME     scenario (default cycle)
  --interval-ms N     ms between scans (default 5000)
  --user NAME:PASS    accept this user/password identity (repeatable); with users,
                      anonymous sessions are refused unless --anonymous is given
  --anonymous         accept anonymous sessions even with --user
  --paused            start with automatic scans paused; SIGUSR2 pauses/resumes them
  --log-level L       ${LOG_LEVELS.join('|')} (default info)
  -h, --help          this text

Scenarios:
${scenarios}
`;
}

interface Parsed {
  stateDir: string;
  host: string;
  port: number;
  scenario: XrayScenario;
  intervalMs: number;
  users: Array<{ username: string; password: string }>;
  anonymous: boolean;
  paused: boolean;
  level: LevelWithSilent;
}

function parse(values: { [k: string]: string | boolean | string[] | undefined }): Parsed {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const int = (k: string, min: number, max: number): number | undefined => {
    const raw = str(k);
    if (raw === undefined) return undefined;
    const v = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || v < min || v > max) throw new BorderlinkError('BL_ERR_USAGE', `--${k} must be an integer ${min}-${max}, got "${raw}"`);
    return v;
  };
  const stateDir = str('state-dir');
  if (stateDir === undefined || stateDir.length === 0) throw new BorderlinkError('BL_ERR_USAGE', '--state-dir DIR is required (the PKI and the scan counter live there)');
  const scenario = str('scenario') ?? 'cycle';
  if (!isXrayScenario(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${XRAY_SCENARIOS.join(', ')}`);
  const level = (str('log-level') ?? 'info') as LevelWithSilent;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new BorderlinkError('BL_ERR_USAGE', `--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const rawUsers = Array.isArray(values.user) ? values.user : [];
  const users = rawUsers.map((u) => {
    const i = u.indexOf(':');
    if (i < 1 || i === u.length - 1) throw new BorderlinkError('BL_ERR_USAGE', `--user must be NAME:PASSWORD, got "${u.replace(/:.*/, ':...')}"`);
    return { username: u.slice(0, i), password: u.slice(i + 1) };
  });
  return {
    stateDir,
    host: str('host') ?? '127.0.0.1',
    port: int('port', 0, 65535) ?? DEFAULT_XRAY_OPCUA_PORT,
    scenario,
    intervalMs: int('interval-ms', 20, 3_600_000) ?? 5_000,
    users,
    anonymous: values.anonymous === true || users.length === 0,
    paused: values.paused === true,
    level,
  };
}

/** argv: the arguments after `simulate xray-opcua`. Resolves to the exit code. */
export async function runXrayOpcuaCommand(argv: string[], io: XrayCommandIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  let opts: Parsed;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'state-dir': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        scenario: { type: 'string' },
        'interval-ms': { type: 'string' },
        user: { type: 'string', multiple: true },
        anonymous: { type: 'boolean' },
        paused: { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      out.write(xrayUsage());
      return 0;
    }
    if (positionals.length > 0) throw new BorderlinkError('BL_ERR_USAGE', `unexpected argument "${positionals.join(' ')}"`);
    opts = parse(values);
  } catch (e) {
    err.write(`${describeError(e).message}\n\n${xrayUsage()}`);
    return 2;
  }

  const logger = io.logger ?? simulatorLogger(opts.level);
  // node-opcua takes seconds to load: only this simulator pays for it
  const { startXrayOpcuaSimulator } = await import('./xray-opcua-simulator.js');
  let sim: Awaited<ReturnType<typeof startXrayOpcuaSimulator>>;
  try {
    sim = await startXrayOpcuaSimulator({
      stateDir: opts.stateDir, host: opts.host, port: opts.port, scenario: opts.scenario, intervalMs: opts.intervalMs,
      users: opts.users, allowAnonymous: opts.anonymous, logger,
    });
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return 1;
  }
  let scanning = !opts.paused;
  sim.setScanning(scanning);
  const toggle = (): void => {
    scanning = !scanning;
    sim.setScanning(scanning);
    logger.info({ scanning }, 'automatic scans toggled (SIGUSR2)');
  };
  process.on('SIGUSR2', toggle);
  out.write(`${JSON.stringify({
    simulator: 'xray-opcua', host: sim.host, port: sim.port, endpointUrl: sim.endpointUrl, namespaceUri: sim.namespaceUri, scenario: sim.scenario,
    scanSequence: sim.scanSequence(), scanning, certificateSha1: createHash('sha1').update(sim.certificate).digest('hex'),
  })}\n`);

  await untilStopped(io.signal);
  process.off('SIGUSR2', toggle);
  await sim.close();
  return 0;
}
