import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import adapter from '../../../../adapters/handheld-spectrometer-serial/adapter.js';
import type { HsxMessage } from '../../../../adapters/handheld-spectrometer-serial/hsx-message.js';
import { initialHsxState, type HsxState } from '../../../../adapters/handheld-spectrometer-serial/normalise-hsx.js';
import { runSimulatorCommand } from '../../../../simulators/cli.js';
import { deviceTime, SPECTRO_SCENARIOS, startSpectrometerSimulator, type SpectroScenario } from '../../../../simulators/spectrometer/spectrometer-simulator.js';
import { createVendorAlgorithm } from '../../../../simulators/spectrometer/vendor-algorithm.js';
import type { CodecContext, EventDraft, Framing, StreamFrame } from '../../../../src/adapter/types.js';
import { createFramer } from '../../../../src/connectors/stream-framer.js';
import { DEFAULT_LIBRARY_DIR, loadLibrary, type ReferenceLibrary } from '../../../../src/identify/library.js';
import { identify } from '../../../../src/identify/match.js';
import { simulateMeasurement } from '../../../../src/identify/simulate.js';
import { parseJcamp } from '../../../../src/jcamp/index.js';
import { silentLogger } from '../../../../src/log.js';
import { capture, runSimulate as run } from '../../../helpers/simulator-command.js';

let lib: ReferenceLibrary;
beforeAll(() => {
  const r = loadLibrary(DEFAULT_LIBRARY_DIR());
  if (!r.ok) throw new Error(r.error.message);
  lib = r.value;
});

const framing = (adapter.acquisition.kind === 'stream' ? adapter.acquisition.framing : undefined) as Framing;

/** Collects what a TCP client receives from the simulator, framed and decoded as the gateway would. */
async function tcpClient(port: number): Promise<{ messages: HsxMessage[]; garbage: number; close(): Promise<void> }> {
  const framer = createFramer(framing);
  const got = { messages: [] as HsxMessage[], garbage: 0 };
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('data', (chunk: Buffer) => {
    for (const o of framer.push(chunk)) {
      if (o.kind === 'garbage') {
        got.garbage += 1;
        continue;
      }
      const d = adapter.decode({ transport: 'tcp-socket', receivedAt: 0, data: o.data }, { device: { id: 'x', siteId: 'S' }, options: {}, now: 0 });
      if (d.ok) got.messages.push(...d.value);
      else got.garbage += 1;
    }
  });
  return {
    get messages() {
      return got.messages;
    },
    get garbage() {
      return got.garbage;
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}

async function until<T>(f: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 500; i += 1) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('HSX-1 spectrometer simulator', () => {
  it('writes the device clock with its offset', () => {
    const t = Date.parse('2026-12-04T10:30:00.000Z');
    expect(deviceTime(t, 60)).toBe('2026-12-04T11:30:00.000+01:00');
    expect(deviceTime(t, -330)).toBe('2026-12-04T05:00:00.000-05:30');
    expect(deviceTime(t, 0)).toBe('2026-12-04T10:30:00.000+00:00');
    expect(Date.parse(deviceTime(t, 345))).toBe(t);
  });

  it('its own verdicts per scenario over several seeds, on its own 0-1000 scale', { timeout: 60_000 }, async () => {
    const verdicts = new Map<SpectroScenario, string[]>();
    for (const seed of [1, 2, 3, 4]) {
      const sim = await startSpectrometerSimulator({ mode: 'tcp', port: 0, scenario: 'idle', seed, realtime: false });
      try {
        for (const sc of SPECTRO_SCENARIOS) {
          const m = sim.measure(sc);
          verdicts.set(sc, [...(verdicts.get(sc) ?? []), m.threatClass ? `${m.verdict}: ${m.threatClass}` : m.verdict]);
          for (const h of m.hits) expect(h.score >= 0 && h.score <= 1000 && Number.isInteger(h.score)).toBe(true);
          // the spectrum is real JCAMP-DX in compressed (DIFDUP) form on the device's 1,526-point axis
          const doc = parseJcamp(m.jcamp);
          expect(doc.ok).toBe(true);
          if (doc.ok) expect(doc.value.blocks[0]?.npoints).toBe(1526);
          expect(m.jcamp.toString('latin1')).toMatch(/##XYDATA=\(X\+\+\(Y\.\.Y\)\)/);
          expect(m.time).toMatch(/\+01:00$/);
        }
        expect(sim.results()).toBe(SPECTRO_SCENARIOS.length);
      } finally {
        await sim.close();
      }
    }
    expect(new Set(verdicts.get('narcotic'))).toEqual(new Set(['THREAT: Narcotics']));
    expect(new Set(verdicts.get('precursor'))).toEqual(new Set(['THREAT: Precursors']));
    expect(new Set(verdicts.get('no-match'))).toEqual(new Set(['NO MATCH']));
    expect(new Set(verdicts.get('low-signal'))).toEqual(new Set(['LOW SIGNAL']));
    for (const v of verdicts.get('explosive') ?? []) expect(['THREAT: Explosives', 'NO MATCH']).toContain(v);
    // a two-component sample is usually reported as a mixture; a vendor may see only its major part
    expect(verdicts.get('mixture')).toContain('MIXTURE: Narcotics');
  });

  it("its algorithm is not the gateway's: it misses ammonium nitrate, which the gateway identifies", () => {
    const vendor = createVendorAlgorithm(lib);
    for (const seed of [11, 12, 13]) {
      const s = simulateMeasurement(lib, { components: [{ id: 'ammonium-nitrate', weight: 1 }] }, { snr: 80, seed, fluorescence: 1, baselineDrift: 0.3, shift: 0.8, scale: 1000 });
      expect(vendor(s.x, s.y).verdict, `seed ${seed}`).toBe('NO MATCH');
      const g = identify(lib, { x: s.x, y: s.y, xUnits: '1/cm', yUnits: 'ABSORBANCE' });
      expect(g.verdict).toBe('match');
      expect(g.hits[0]?.entryId).toBe('ammonium-nitrate');
    }
  });

  it('greets a TCP client with its status, then sends results the adapter turns into events', { timeout: 30_000 }, async () => {
    const sim = await startSpectrometerSimulator({ mode: 'tcp', port: 0, scenario: 'idle', seed: 9, realtime: false });
    const client = await tcpClient(sim.port as number);
    try {
      await until(() => (client.messages.length >= 1 ? true : undefined), 'the greeting');
      expect(client.messages[0]).toMatchObject({ type: 'STA', state: 'docked', battery: 80 });
      const sent = sim.measure('narcotic');
      sim.heartbeat();
      sim.status('ready', 50);
      await until(() => (client.messages.length >= 4 ? true : undefined), 'result, heartbeat and status');
      expect(client.garbage).toBe(0);
      const [, res, hbt, sta] = client.messages;
      expect(res).toEqual(sent);
      expect(hbt?.type).toBe('HBT');
      expect(sta).toMatchObject({ type: 'STA', state: 'ready', battery: 50 });
      const ctx: CodecContext<Record<string, never>> = { device: { id: 'h', siteId: 'S' }, options: {}, now: 0, identify: (s) => identify(lib, s) };
      let state: HsxState = initialHsxState();
      const drafts: EventDraft[] = [];
      for (const m of client.messages) {
        const n = adapter.normalise(m, state, ctx);
        expect(n.ok).toBe(true);
        if (!n.ok) return;
        state = n.value.state;
        drafts.push(...n.value.drafts);
      }
      // docked -> status, result, ready -> status; the heartbeat makes nothing
      expect(drafts.map((d) => d.eventType)).toEqual(['status', 'result', 'status']);
      const result = drafts[1];
      expect(result?.outcome).toMatchObject({ state: 'alarm', categories: ['narcotic'], vendorState: 'THREAT: Narcotics' });
      expect(result?.findings?.some((f) => f.origin === 'device')).toBe(true);
      expect(result?.findings?.some((f) => f.origin === 'gateway' && f.category === 'narcotic')).toBe(true);
    } finally {
      await client.close();
      await sim.close();
    }
  });

  it('refuses an unknown scenario and an impossible clock offset', async () => {
    await expect(startSpectrometerSimulator({ mode: 'tcp', port: 0, scenario: 'boom' as never, realtime: false })).rejects.toMatchObject({ code: 'BL_ERR_SIMULATOR' });
    await expect(startSpectrometerSimulator({ mode: 'tcp', port: 0, scenario: 'idle', utcOffsetMinutes: 15 * 60, realtime: false })).rejects.toMatchObject({ code: 'BL_ERR_SIMULATOR' });
  });
});

describe('borderlink simulate spectrometer-serial', () => {
  const abort = new AbortController();
  let done: Promise<number> | undefined;
  afterAll(async () => {
    abort.abort();
    await done;
  });

  it('listens, prints one JSON line, greets a client with HSX-1 frames and stops on abort', { timeout: 30_000 }, async () => {
    const out = capture();
    done = runSimulatorCommand(['spectrometer-serial', '--port', '0', '--scenario', 'idle', '--seed', '7'], { stdout: out, stderr: capture(), signal: abort.signal, logger: silentLogger() });
    await until(() => (out.text().includes('\n') ? true : undefined), 'the ready line');
    const ready = JSON.parse(out.text().trim()) as { simulator: string; mode: string; host: string; port: number; scenario: string; seed: number };
    expect(ready).toMatchObject({ simulator: 'spectrometer-serial', mode: 'tcp', host: '127.0.0.1', scenario: 'idle', seed: 7 });
    const client = await tcpClient(ready.port);
    await until(() => (client.messages.length >= 1 ? true : undefined), 'the greeting');
    expect(client.messages[0]?.type).toBe('STA');
    await client.close();
    abort.abort();
    expect(await done).toBe(0);
  });

  it('--help prints its own usage', async () => {
    const r = await run(['spectrometer-serial', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: borderlink simulate spectrometer-serial');
    expect(r.out).toContain('--path P');
  });

  it('usage errors exit 2: --path with --port, an unknown scenario, a stray argument, a bad option or number', async () => {
    for (const argv of [
      ['spectrometer-serial', '--path', '/tmp/x', '--port', '1'],
      ['spectrometer-serial', '--scenario', 'boom'],
      ['spectrometer-serial', 'extra'],
      ['spectrometer-serial', '--bogus'],
      ['spectrometer-serial', '--utc-offset', '900'],
      ['spectrometer-serial', '--interval', 'soon'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.length).toBeGreaterThan(0);
    }
    expect((await run(['spectrometer-serial', '--scenario', 'boom'])).err).toContain('unknown scenario "boom"');
  });

  it('the top-level command names it among the simulators', async () => {
    const r = await run(['nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('spectrometer-serial');
  });
});
