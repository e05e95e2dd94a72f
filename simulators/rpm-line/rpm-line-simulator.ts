/**
 * The line-protocol RPM simulator: RpmLineDevice (shared physics and scenarios) behind a TCP
 * listener or a path (file, pseudo-terminal). realtime: an unref'd timer keeps the device in step
 * with the clock; otherwise tests call step(ms) and the lines come out synchronously.
 */
import type { Clock } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import { BorderlinkError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { SAMPLE_PERIOD_MS, type OccupancySummary } from '../rpm/rpm-model.js';
import { isScenarioName, SCENARIO_NAMES, SCENARIOS, type ScenarioHappening, type ScenarioName } from '../rpm/scenarios.js';
import { LINE_END } from './line-encoder.js';
import { RpmLineDevice } from './line-device.js';
import { openPathOutput, startTcpOutput, type LineOutput } from './line-outputs.js';

export interface RpmLineSimulatorOptions {
  /** tcp: listen, and stream to every client that connects; path: write to a file or pseudo-terminal */
  mode: 'tcp' | 'path';
  /** tcp: default 127.0.0.1 */
  host?: string;
  /** tcp: default 0 (ephemeral) */
  port?: number;
  /** path: required */
  path?: string;
  /** default 'demo' (simulators/rpm/scenarios.ts) */
  scenario?: string;
  /** default: the scenario's own */
  seed?: number;
  /** default true */
  realtime?: boolean;
  /** device clock at start, epoch ms (default clock.now()) */
  startTimeMs?: number;
  /** wall clock for realtime stepping (default the system clock) */
  clock?: Clock;
  /** alarm threshold n (default 4.0) */
  nSigma?: number;
  logger?: Logger;
  /** every line the device writes (no CRLF) with its device time, whether or not anyone listens */
  onLine?: (line: string, atMs: number) => void;
  onOccupancy?: (summary: OccupancySummary) => void;
}

export interface RpmLineSimulator {
  readonly mode: 'tcp' | 'path';
  /** tcp only */
  readonly host?: string;
  /** tcp only: the port listened on */
  readonly port?: number;
  /** path only */
  readonly path?: string;
  readonly scenario: ScenarioName;
  readonly seed: number;
  /** advance the device by ms of simulated time (whole 200 ms samples; also allowed in realtime mode) */
  step(ms: number): void;
  /** make something happen now: a vehicle (fields optional), tamper, background, transport faults... */
  inject(h: ScenarioHappening): void;
  /** device clock, epoch ms */
  now(): number;
  occupancyCount(): number;
  /** tcp: connected clients; path: 1 while open */
  listeners(): number;
  /** tcp: drop every connection now (an injected disconnect); the listener stays up */
  dropConnections(): void;
  /** writes raw lines as they are (CRLF added): a firmware bug, line noise, a vendor's odd message */
  writeRaw(lines: readonly string[]): void;
  close(): Promise<void>;
}

export async function startRpmLineSimulator(opts: RpmLineSimulatorOptions): Promise<RpmLineSimulator> {
  const scenarioName = opts.scenario ?? 'demo';
  if (!isScenarioName(scenarioName)) {
    throw new BorderlinkError('BL_ERR_USAGE', `unknown RPM scenario "${scenarioName}"; valid: ${SCENARIO_NAMES.join(', ')}`, {
      detail: { scenario: scenarioName, valid: [...SCENARIO_NAMES] },
    });
  }
  if (opts.mode === 'path' && (opts.path === undefined || opts.path === '')) {
    throw new BorderlinkError('BL_ERR_USAGE', 'the rpm-line simulator in path mode needs a path');
  }
  const scenario = SCENARIOS[scenarioName];
  const seed = (opts.seed ?? scenario.defaultSeed) >>> 0;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  const frame = (lines: readonly string[]): Buffer => Buffer.from(lines.map((l) => `${l}${LINE_END}`).join(''), 'latin1');

  let output: LineOutput | undefined;
  const device = new RpmLineDevice({
    scenario,
    seed,
    startTimeMs: opts.startTimeMs ?? clock.now(),
    ...(opts.nSigma === undefined ? {} : { nSigma: opts.nSigma }),
    onLine: (line, at) => {
      opts.onLine?.(line, at);
      output?.write(frame([line]));
    },
    onOccupancy: (s) => {
      logger?.info(
        { occupancy: s.occupancyNumber, gammaAlarm: s.gammaAlarm, neutronAlarm: s.neutronAlarm, durationMs: s.durationMs, sources: s.sources.map((x) => x.nuclide) },
        'rpm-line simulator occupancy ended',
      );
      opts.onOccupancy?.(s);
    },
    onDisconnect: () => output?.drop(),
  });

  let host: string | undefined;
  let port: number | undefined;
  if (opts.mode === 'tcp') {
    const tcp = await startTcpOutput({
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 0,
      greeting: () => frame(device.greetingLines()),
      ...(logger === undefined ? {} : { logger }),
    });
    host = tcp.host;
    port = tcp.port;
    output = tcp;
  } else {
    const path = opts.path as string;
    output = openPathOutput({ path, ...(logger === undefined ? {} : { logger }) });
    const greeting = device.greetingLines();
    for (const line of greeting) opts.onLine?.(line, device.now());
    output.write(frame(greeting));
  }
  const out = output;

  let timer: NodeJS.Timeout | undefined;
  if (opts.realtime ?? true) {
    const wallStart = clock.now();
    let simulated = 0;
    timer = setInterval(() => {
      out.flush();
      const behind = clock.now() - wallStart - simulated;
      if (behind <= 0) return;
      device.step(behind);
      simulated += behind;
    }, SAMPLE_PERIOD_MS);
    timer.unref();
  }

  return {
    mode: opts.mode,
    ...(host === undefined ? {} : { host }),
    ...(port === undefined ? {} : { port }),
    ...(opts.mode === 'path' && opts.path !== undefined ? { path: opts.path } : {}),
    scenario: scenarioName,
    seed,
    step: (ms) => device.step(ms),
    inject: (h) => device.inject(h),
    now: () => device.now(),
    occupancyCount: () => device.occupancyCount(),
    listeners: () => out.listeners(),
    dropConnections: () => out.drop(),
    writeRaw: (lines) => out.write(frame(lines)),
    async close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await out.close();
    },
  };
}
