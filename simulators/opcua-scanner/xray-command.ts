/**
 * `borderlink simulate xray-opcua [options]`: the X-ray scanner OPC UA server in the foreground
 * until SIGINT/SIGTERM. Prints one JSON line on stdout once listening (endpoint, port, certificate
 * thumbprint, ScanSequence it continues from); logs go to stderr.
 */
import { createHash } from 'node:crypto';
import type { LevelWithSilent } from 'pino';
import { BorderlinkError } from '../../src/errors.js';
import { isXrayScenario, SCENARIO_SUMMARIES, XRAY_SCENARIOS, type XrayScenario } from './scenarios.js';
import { intOption, LOG_LEVELS, logLevelOption, runForeground, stringOption, type ForegroundIo, type OptionValues } from '../foreground.js';

export type XrayCommandIo = ForegroundIo;

export const DEFAULT_XRAY_OPCUA_PORT = 4840;

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

function parse(values: OptionValues): Parsed {
  const str = (k: string): string | undefined => stringOption(values, k);
  const int = (k: string, min: number, max: number): number | undefined => intOption(values, k, min, max);
  const stateDir = str('state-dir');
  if (stateDir === undefined || stateDir.length === 0) throw new BorderlinkError('BL_ERR_USAGE', '--state-dir DIR is required (the PKI and the scan counter live there)');
  const scenario = str('scenario') ?? 'cycle';
  if (!isXrayScenario(scenario)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenario}"; valid scenarios: ${XRAY_SCENARIOS.join(', ')}`);
  const level = logLevelOption(values['log-level']);
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
export function runXrayOpcuaCommand(argv: string[], io: XrayCommandIo = {}): Promise<number> {
  return runForeground(argv, io, {
    name: 'xray-opcua',
    usage: xrayUsage,
    options: {
      'state-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      scenario: { type: 'string' },
      'interval-ms': { type: 'string' },
      user: { type: 'string', multiple: true },
      anonymous: { type: 'boolean' },
      paused: { type: 'boolean' },
    },
    parse,
    async start(opts, logger) {
      // node-opcua takes seconds to load: only this simulator pays for it
      const { startXrayOpcuaSimulator } = await import('./xray-opcua-simulator.js');
      const sim = await startXrayOpcuaSimulator({
        stateDir: opts.stateDir, host: opts.host, port: opts.port, scenario: opts.scenario, intervalMs: opts.intervalMs,
        users: opts.users, allowAnonymous: opts.anonymous, logger,
      });
      let scanning = !opts.paused;
      sim.setScanning(scanning);
      const toggle = (): void => {
        scanning = !scanning;
        sim.setScanning(scanning);
        logger.info({ scanning }, 'automatic scans toggled (SIGUSR2)');
      };
      process.on('SIGUSR2', toggle);
      return {
        ready: {
          simulator: 'xray-opcua', host: sim.host, port: sim.port, endpointUrl: sim.endpointUrl, namespaceUri: sim.namespaceUri, scenario: sim.scenario,
          scanSequence: sim.scanSequence(), scanning, certificateSha1: createHash('sha1').update(sim.certificate).digest('hex'),
        },
        async close() {
          process.off('SIGUSR2', toggle);
          await sim.close();
        },
      };
    },
  });
}
