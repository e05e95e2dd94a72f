/**
 * The real daemon reading a docked handheld spectrometer (HSX-1) over a real pseudo-terminal
 * (socat): every scenario becomes a result event carrying the device's verdict and the gateway's
 * identification side by side, the JCAMP-DX is served as an artifact, and line noise and a bad
 * checksum go to quarantine without disturbing the results around them.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../adapters/handheld-spectrometer-serial/hsx-frame.js';
import { startSpectrometerSimulator, type SpectrometerSimulator } from '../../simulators/spectrometer/spectrometer-simulator.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allEventsOf, getJson, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';
import { socatPtys, socatSuite, type SocatPtys } from '../helpers/socat.js';

const suite = socatSuite('handheld spectrometer on a serial line (socat ptys)');

describe.skipIf(suite.skip)(suite.name, () => {
  let broker: TestBroker;
  let dir: TempDir;
  let pty: SocatPtys | undefined;
  beforeAll(async () => {
    broker = await startTestBroker();
    dir = tempDir();
  });
  afterAll(async () => {
    await pty?.stop();
    await broker?.close();
    dir?.remove();
  });

  it('turns every scenario into a result with device and gateway findings; noise is quarantined', { timeout: 90_000 }, async () => {
    pty = socatPtys(dir.path, ['hsx-dev', 'hsx-gw']);
    await pty.start();
    const file = writeConfig(dir.path, {
      gateway: { id: 'bl-spectro-gw', siteId: 'BGSOF', dataDir: path.join(dir.path, 'data'), logLevel: 'info', shutdownTimeoutMs: 4000 },
      mqtt: { url: broker.url },
      http: { host: '127.0.0.1', port: 0 },
      devices: [{ id: 'handheld-1', adapter: 'handheld-spectrometer-serial', laneId: '7', technique: 'ftir', connection: { serial: { path: pty.b, baudRate: 115200 } } }],
    });
    const { daemon, rest } = await startGatewayDaemon(file);
    let sim: SpectrometerSimulator | undefined;
    try {
      sim = await startSpectrometerSimulator({ mode: 'path', path: pty.a, scenario: 'idle', seed: 5, realtime: false });
      await new Promise((r) => setTimeout(r, 500));
      sim.status('docked', 80);
      sim.heartbeat();
      sim.measure('narcotic');
      sim.writeRaw(Buffer.from('\x00\x00line noise\xff'));
      const corrupt = encodeFrame(Buffer.from('HBT 1\n'));
      corrupt[corrupt.length - 2] = (corrupt[corrupt.length - 2] ?? 0) ^ 0xff;
      sim.writeRaw(corrupt);
      const handheld = sim;
      const sent = (['precursor', 'mixture', 'no-match', 'low-signal'] as const).map((sc) => handheld.measure(sc));
      sim.status('docked', 9);
      const results = await waitFor(async () => {
        const r = (await allEventsOf(rest, 'handheld-1')).filter((e) => e.eventType === 'result');
        return r.length >= 5 ? r : undefined;
      }, '5 results from the handheld', 40_000);
      const byScenario = results.map((e) => e.outcome?.state);
      expect(byScenario).toEqual(['alarm', 'alarm', expect.any(String), 'clear', 'indeterminate']);
      expect(results[1]?.outcome).toMatchObject({ categories: ['precursor'], vendorState: 'THREAT: Precursors' });
      // the mixture's outcome follows whatever the device said (a vendor may miss a component)
      const mix = sent[1];
      expect(results[2]?.outcome?.vendorState).toBe(mix?.threatClass ? `${mix.verdict}: ${mix.threatClass}` : mix?.verdict);
      // every result: the sample id, the device's clock in UTC, the spectrum inline and by reference
      results.forEach((e, i) => {
        expect(e.subject?.inspectionId).toBe(`S-0000${i + 1}`);
        expect(e.spectrum?.npoints).toBe(256);
        expect(e.artifacts?.some((a) => a.kind === 'jcamp-dx')).toBe(true);
      });
      expect(results[1]?.observedAt).toBe(new Date(Date.parse(sent[0]?.time ?? '')).toISOString());
      // status on docking, and a battery-low fault once the battery is down to 9 %
      const others = await waitFor(async () => {
        const r = (await allEventsOf(rest, 'handheld-1')).filter((e) => e.eventType === 'fault');
        return r.length >= 1 ? await allEventsOf(rest, 'handheld-1') : undefined;
      }, 'the battery-low fault', 20_000);
      expect(others.filter((e) => e.eventType === 'status' && e.status?.detail === 'device docked')).toHaveLength(1);
      expect(others.find((e) => e.eventType === 'fault')?.fault).toMatchObject({ code: 'battery-low', active: true });
      const narcotic = results[0];
      expect(narcotic?.source.device).toMatchObject({ class: 'spectrometer', technique: 'ftir', serial: 'HSX-0042' });
      const device = narcotic?.findings?.filter((f) => f.origin === 'device') ?? [];
      const gateway = narcotic?.findings?.filter((f) => f.origin === 'gateway') ?? [];
      expect(device[0]?.score).toMatchObject({ max: 1000, method: 'hsx-match-quality' });
      expect(gateway[0]).toMatchObject({ category: 'narcotic', identified: true, score: { max: 100, method: 'hqi-correlation' }, reference: { library: 'borderlink-seed' } });
      // the JCAMP-DX travels by reference and is served
      const art = narcotic?.artifacts?.find((a) => a.kind === 'jcamp-dx');
      expect(art).toBeDefined();
      const res = await fetch(`${rest}${art?.uri}`);
      expect(res.status).toBe(200);
      expect((await res.text()).startsWith('##TITLE=')).toBe(true);
      // noise and the bad checksum are in quarantine with their codes
      const q = await getJson<{ items: Array<{ code: string; deviceId: string }> }>(`${rest}/v1/quarantine?device=handheld-1`);
      const codes = q.body.items.map((i) => i.code);
      expect(codes).toEqual(expect.arrayContaining(['BL_ERR_STREAM_GARBAGE', 'BL_ERR_FRAME_CHECKSUM']));
    } finally {
      await sim?.close();
      expect((await daemon.stop()).code).toBe(0);
    }
  });
});
