/**
 * `borderlink simulate <device> [options]`: runs a device simulator in the foreground until SIGINT/SIGTERM.
 * Prints one JSON line on stdout once listening (scripts wait for it); logs go to stderr.
 */
import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { BorderlinkError, describeError, isBorderlinkError } from '../src/errors.js';
import type { Logger } from '../src/log.js';
import { runRpmLineCommand } from './rpm-line/line-command.js';
import { runCargoScannerCommand } from './cargo-scanner/cargo-command.js';
import { runSpectrometerCommand } from './spectrometer/spectrometer-command.js';
import { startRpmRtuSimulator } from './rpm/rpm-rtu-simulator.js';
import { startRpmSimulator } from './rpm/rpm-simulator.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS } from './rpm/scenarios.js';
import { LOG_LEVELS, simulatorLogger, untilStopped } from './foreground.js';

export interface SimulatorCommandIo {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  /** stops the simulator like SIGTERM does (for tests and embedding) */
  signal?: AbortSignal;
  /** overrides --log-level and the stderr logger */
  logger?: Logger;
}


function usage(): string {
  const scenarios = SCENARIO_NAMES.map((n) => `    ${n.padEnd(14)} ${SCENARIOS[n].summary}`).join('\n');
  return `Usage: borderlink simulate rpm [options]

Runs the generic gamma/neutron radiation portal monitor simulator (Modbus TCP, or
Modbus RTU with several units on one serial line with --rtu; register map:
adapters/rpm-modbus-generic/REGISTER-MAP.md) until SIGINT/SIGTERM.
Prints one JSON line on stdout once listening; logs go to stderr.

Options:
  --port N          TCP port (default 5020; 0 = ephemeral)
  --host H          bind address (default 127.0.0.1)
  --scenario NAME   scenario (default demo)
  --seed S          PRNG seed (default: the scenario's own)
  --unit-id U       Modbus unit id the device answers (default 1)
  --start-time T    device clock at start: RFC 3339 time or epoch ms (default now)
  --n-sigma N       alarm threshold n (default 4.0)
  --rtu PATH        serve Modbus RTU on this serial path instead of TCP (e.g. one end
                    of \`socat pty,raw,echo=0,link=/tmp/gw pty,raw,echo=0,link=/tmp/dev\`)
  --units LIST      RTU only: unit ids on the line, comma separated (default: --unit-id or 1);
                    each is its own portal, seeded seed, seed+1, ...
  --baud N          RTU only: baud rate (default 19200)
  --parity P        RTU only: none|even|odd (default even)
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

interface RtuCliOptions {
  path: string;
  units: number[];
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
}

/** --rtu and its companions; undefined without --rtu (then the companions are a usage error). */
function rtuOptions(
  values: { rtu?: string; units?: string; baud?: string; parity?: string; port?: string; host?: string },
  unitId: number | undefined,
): RtuCliOptions | undefined {
  if (values.rtu === undefined) {
    if (values.units !== undefined || values.baud !== undefined || values.parity !== undefined) {
      throw new BorderlinkError('BL_ERR_USAGE', '--units, --baud and --parity need --rtu PATH');
    }
    return undefined;
  }
  if (values.rtu.length === 0) throw new BorderlinkError('BL_ERR_USAGE', '--rtu needs a serial path');
  if (values.port !== undefined || values.host !== undefined) throw new BorderlinkError('BL_ERR_USAGE', '--rtu serves a serial line: --port and --host do not apply');
  let units = [unitId ?? 1];
  if (values.units !== undefined) {
    const raw = values.units.split(',').map((x) => x.trim());
    if (raw.some((x) => !/^\d+$/.test(x))) throw new BorderlinkError('BL_ERR_USAGE', `--units must be comma-separated unit ids 1-247, got "${values.units}"`);
    units = raw.map(Number);
  }
  if (units.some((u) => u < 1 || u > 247) || new Set(units).size !== units.length) {
    throw new BorderlinkError('BL_ERR_USAGE', `--units must be distinct unit ids 1-247, got "${units.join(',')}"`);
  }
  const parity = values.parity;
  if (parity !== undefined && parity !== 'none' && parity !== 'even' && parity !== 'odd') {
    throw new BorderlinkError('BL_ERR_USAGE', `--parity must be none, even or odd, got "${parity}"`);
  }
  const baudRate = intOption('baud', values.baud, 300, 4_000_000);
  return { path: values.rtu, units, ...(baudRate === undefined ? {} : { baudRate }), ...(parity === undefined ? {} : { parity }) };
}

/** argv: the arguments after `simulate` (e.g. ['rpm', '--port', '5020']). Resolves to the exit code. */
export async function runSimulatorCommand(argv: string[], io: SimulatorCommandIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  // the line-protocol simulator has options of its own (--path), so it parses its own arguments
  if (argv[0] === 'rpm-line') return runRpmLineCommand(argv.slice(1), io);
  // node-opcua takes seconds to load: the OPC UA scanner's command is loaded only when asked for
  if (argv[0] === 'xray-opcua') return (await import('./opcua-scanner/xray-command.js')).runXrayOpcuaCommand(argv.slice(1), io);
  if (argv[0] === 'cargo-scanner') return runCargoScannerCommand(argv.slice(1), io);
  if (argv[0] === 'spectrometer-serial') return runSpectrometerCommand(argv.slice(1), io);
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
        rtu: { type: 'string' },
        units: { type: 'string' },
        baud: { type: 'string' },
        parity: { type: 'string' },
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
    err.write(`${device === undefined ? 'missing device' : `unknown simulator "${positionals.join(' ')}"`}; available: rpm, rpm-line, cargo-scanner, xray-opcua, spectrometer-serial\n\n${usage()}`);
    return 2;
  }

  let port: number | undefined;
  let seed: number | undefined;
  let unitId: number | undefined;
  let startTimeMs: number | undefined;
  let nSigma: number | undefined;
  let rtu: RtuCliOptions | undefined;
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
    rtu = rtuOptions(values, unitId);
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return 2;
  }

  const logger = io.logger ?? simulatorLogger(level);
  let sim: { close(): Promise<void> };
  let ready: Record<string, unknown>;
  try {
    if (rtu !== undefined) {
      const line = await startRpmRtuSimulator({
        path: rtu.path,
        units: rtu.units,
        scenario,
        realtime: true,
        logger,
        ...(rtu.baudRate === undefined ? {} : { baudRate: rtu.baudRate }),
        ...(rtu.parity === undefined ? {} : { parity: rtu.parity }),
        ...(seed === undefined ? {} : { seed }),
        ...(startTimeMs === undefined ? {} : { startTimeMs }),
        ...(nSigma === undefined ? {} : { nSigma }),
      });
      sim = line;
      ready = { simulator: 'rpm', rtu: line.path, units: line.unitIds, scenario: line.scenario, seeds: line.unitIds.map((u) => line.unit(u).seed) };
    } else {
      const tcp = await startRpmSimulator({
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
      sim = tcp;
      ready = { simulator: 'rpm', host: tcp.host, port: tcp.port, unitId: tcp.unitId, scenario: tcp.scenario, seed: tcp.seed };
    }
  } catch (e) {
    err.write(`${describeError(e).message}\n`);
    return isBorderlinkError(e) && (e.kind === 'usage' || e.kind === 'config') ? 2 : 1;
  }
  out.write(`${JSON.stringify(ready)}\n`);

  await untilStopped(io.signal);
  await sim.close();
  logger.info({ simulator: 'rpm' }, 'simulator stopped');
  return 0;
}
