/**
 * A docked handheld Raman/FTIR identifier speaking HSX-1 (adapters/handheld-spectrometer-serial):
 * it measures library substances with noise, baseline drift and a fluorescence-like background,
 * runs its own identification (vendor-algorithm.ts), and sends the result with the spectrum as
 * embedded JCAMP-DX; a heartbeat every 5 s and its status every 30 s. Output to a TCP port (a
 * serial device server, or the default config) or a path (one end of a socat pty pair).
 */
import { encodeFrame } from '../../adapters/handheld-spectrometer-serial/hsx-frame.js';
import { encodeMessage, type HsxMessage, type HsxResult } from '../../adapters/handheld-spectrometer-serial/hsx-message.js';
import { BorderlinkError } from '../../src/errors.js';
import { DEFAULT_LIBRARY_DIR, loadLibrary, type ReferenceLibrary } from '../../src/identify/library.js';
import { randomBands, simulateMeasurement } from '../../src/identify/simulate.js';
import { writeJcamp } from '../../src/jcamp/index.js';
import type { Logger } from '../../src/log.js';
import { openPathOutput, startTcpOutput, type LineOutput } from '../rpm-line/line-outputs.js';
import { SeededRandom } from '../rpm/seeded-random.js';
import { createVendorAlgorithm } from './vendor-algorithm.js';

export type SpectroScenario = 'narcotic' | 'explosive' | 'precursor' | 'mixture' | 'no-match' | 'low-signal';
export const SPECTRO_SCENARIOS: readonly SpectroScenario[] = ['narcotic', 'explosive', 'precursor', 'mixture', 'no-match', 'low-signal'];

export interface SpectrometerSimulatorOptions {
  mode: 'tcp' | 'path';
  host?: string;
  port?: number;
  path?: string;
  /** 'demo' cycles every scenario; 'idle' measures only when told */
  scenario?: 'demo' | 'idle' | SpectroScenario;
  seed?: number;
  /** ms between measurements in demo mode (default 15 s) */
  intervalMs?: number;
  /** false: no timers; the caller drives it with measure() and heartbeat() */
  realtime?: boolean;
  libraryDir?: string;
  /** the device clock's offset from UTC in minutes, as TIME carries it (default 60: set to CET) */
  utcOffsetMinutes?: number;
  logger?: Logger;
}

export interface SpectrometerSimulator {
  port?: number;
  /** measures one sample of the scenario now and sends the result; returns what was sent */
  measure(scenario: SpectroScenario): HsxResult;
  /** sends a status message */
  status(state: 'ready' | 'measuring' | 'docked' | 'error', battery?: number): void;
  heartbeat(): void;
  /** writes raw bytes (fault injection: garbage, a frame with a wrong CRC, a truncated frame) */
  writeRaw(bytes: Buffer): void;
  dropConnections(): void;
  results(): number;
  close(): Promise<void>;
}

const TARGETS: Record<Exclude<SpectroScenario, 'no-match' | 'low-signal'>, string[][]> = {
  narcotic: [['cocaine-hcl'], ['heroin'], ['methamphetamine-hcl'], ['mdma-hcl']],
  explosive: [['tnt'], ['rdx'], ['petn'], ['ammonium-nitrate']],
  precursor: [['acetone'], ['2-butanone'], ['toluene']],
  mixture: [['cocaine-hcl', 'methanol'], ['heroin', 'ethanol'], ['tnt', 'ammonium-nitrate']],
};

/** ISO 8601 with the device clock's offset (handhelds keep local time and say which), e.g. 2026-12-04T11:30:00.000+01:00. */
export function deviceTime(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export async function startSpectrometerSimulator(opts: SpectrometerSimulatorOptions): Promise<SpectrometerSimulator> {
  if (opts.scenario !== undefined && opts.scenario !== 'demo' && opts.scenario !== 'idle' && !SPECTRO_SCENARIOS.includes(opts.scenario)) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `spectrometer simulator: unknown scenario "${String(opts.scenario)}" (demo, idle, ${SPECTRO_SCENARIOS.join(', ')})`);
  }
  const lib = loadLibrary(opts.libraryDir ?? DEFAULT_LIBRARY_DIR());
  if (!lib.ok) throw new BorderlinkError('BL_ERR_SIMULATOR', `spectrometer simulator: ${lib.error.message}`);
  const offset = opts.utcOffsetMinutes;
  if (offset !== undefined && !(Number.isInteger(offset) && Math.abs(offset) <= 14 * 60)) {
    throw new BorderlinkError('BL_ERR_SIMULATOR', `spectrometer simulator: utcOffsetMinutes ${offset} is not a whole number of minutes within +-14 h`);
  }
  const library: ReferenceLibrary = lib.value;
  const vendor = createVendorAlgorithm(library);
  const rnd = new SeededRandom(opts.seed ?? 1);
  let battery = 80;
  let sample = 0;
  let sent = 0;
  const output: LineOutput & { port?: number } = opts.mode === 'tcp'
    ? await startTcpOutput({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, greeting: () => frameOf({ type: 'STA', state: 'docked', battery }), label: 'HSX-1 spectrometer simulator', ...(opts.logger ? { logger: opts.logger } : {}) })
    : openPathOutput({ path: opts.path ?? '', label: 'HSX-1 spectrometer simulator', ...(opts.logger ? { logger: opts.logger } : {}) });
  function frameOf(m: HsxMessage): Buffer {
    return encodeFrame(encodeMessage(m));
  }
  const send = (m: HsxMessage) => output.write(frameOf(m));

  const measure = (scenario: SpectroScenario): HsxResult => {
    sample += 1;
    const seed = rnd.uint32();
    const model = { seed, fluorescence: rnd.range(0.2, 2), baselineDrift: rnd.range(-0.5, 0.5), shift: rnd.range(-1.5, 1.5), scale: rnd.range(200, 2000) };
    let spectrum;
    if (scenario === 'no-match') spectrum = simulateMeasurement(library, { bands: randomBands(seed) }, { ...model, snr: 60 });
    else if (scenario === 'low-signal') spectrum = simulateMeasurement(library, { components: [{ id: 'cocaine-hcl', weight: 1 }] }, { ...model, snr: 1.5 });
    else {
      const options = TARGETS[scenario];
      const ids = options[rnd.int(0, options.length - 1)] as string[];
      const w = ids.length === 2 ? rnd.range(0.45, 0.65) : 1;
      spectrum = simulateMeasurement(library, { components: ids.map((id, i) => ({ id, weight: i === 0 ? w : 1 - w })) }, { ...model, snr: rnd.range(40, 120) });
    }
    const analysis = vendor(spectrum.x, spectrum.y);
    const jcamp = writeJcamp({
      title: `Sample S-${String(sample).padStart(5, '0')}`, dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE',
      x0: spectrum.x[0] as number, x1: spectrum.x[spectrum.x.length - 1] as number, y: spectrum.y, form: 'DIFDUP', yFactor: 0.001,
      labels: { ORIGIN: 'BorderLink HSX-1 simulator', OWNER: 'public domain (simulated)', 'SPECTROMETER/DATA SYSTEM': 'HSX Handheld FTIR (simulated)', $SCENARIO: scenario },
    });
    const m: HsxResult = {
      type: 'RES', sampleId: `S-${String(sample).padStart(5, '0')}`, time: deviceTime(Date.now(), opts.utcOffsetMinutes ?? 60), operator: 'officer-117', serial: 'HSX-0042', firmware: '3.1.4', model: 'HSX Handheld FTIR',
      technique: 'ftir', integrationMs: 2000, library: { name: 'HSX Threat Library', version: '2026.3' }, verdict: analysis.verdict,
      ...(analysis.threatClass ? { threatClass: analysis.threatClass } : {}), hits: analysis.hits, jcamp: Buffer.from(jcamp, 'latin1'),
    };
    send(m);
    sent += 1;
    battery = Math.max(5, battery - 1);
    return m;
  };

  const timers: NodeJS.Timeout[] = [];
  // a pseudo-terminal takes a few KB at a time: retry what it refused (results are ~10 KB)
  if (opts.mode === 'path') timers.push(setInterval(() => output.flush(), 10).unref());
  if (opts.realtime !== false) {
    let k = 0;
    timers.push(setInterval(() => send({ type: 'HBT', uptimeS: Math.round(process.uptime()) }), 5000));
    timers.push(setInterval(() => send({ type: 'STA', state: 'docked', battery }), 30_000));
    if (opts.scenario !== 'idle') {
      timers.push(setInterval(() => {
        const fixed = opts.scenario;
        const sc: SpectroScenario = fixed === undefined || fixed === 'demo' || fixed === 'idle' ? (SPECTRO_SCENARIOS[k++ % SPECTRO_SCENARIOS.length] as SpectroScenario) : fixed;
        if (output.listeners() > 0) measure(sc);
      }, opts.intervalMs ?? 15_000));
    }
    for (const t of timers) t.unref();
  }
  return {
    ...(output.port !== undefined ? { port: output.port } : {}),
    measure,
    status: (state, b) => send({ type: 'STA', state, battery: b ?? battery }),
    heartbeat: () => send({ type: 'HBT', uptimeS: Math.round(process.uptime()) }),
    writeRaw: (bytes) => output.write(bytes),
    dropConnections: () => output.drop(),
    results: () => sent,
    async close() {
      for (const t of timers) clearInterval(t);
      await output.close();
    },
  };
}
